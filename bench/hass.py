"""A real Home Assistant process for the benchmarks, with Sendblue set up in it.

devtools lays out the config directory and signs in; the integration is set up
through the config flow against the simulator, which registers its webhook there.
The benchmarks' helper integration (reference/bench_reference) is loaded next to
it, and both are checked as loaded from the directories meant.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import aiohttp

from devtools.common import DevToolsError, wait_until
from devtools.config_dir import prepare_config_dir
from devtools.integration import DOMAIN, INTEGRATION_DIR
from devtools.processes import (
    LOOPBACK,
    ManagedProcess,
    free_port,
    hass_command,
    hass_environment,
)
from devtools.rest import DEMO_USER, HomeAssistantClient
from devtools.simulator import SimulatorAccount
from sendblue_simulator import Simulator

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
REFERENCE = "bench_reference"
REFERENCE_INTEGRATION = BENCH_DIR / "reference" / REFERENCE
# How long a cold Home Assistant may take to answer, and then to finish starting.
STARTUP_S = 180.0
# Quiet logging: a log line per request would be part of what is measured.
BASE_CONFIGURATION = """\
homeassistant:
  name: Sendblue benchmark
  external_url: !env_var SENDBLUE_DEV_EXTERNAL_URL http://127.0.0.1:8123
  time_zone: UTC
  country: US
  unit_system: metric
  currency: USD
logger:
  default: warning
bench_reference:
"""


@dataclass(frozen=True, kw_only=True)
class RunningHomeAssistant:
    """A Home Assistant process with Sendblue set up, and how to reach it."""

    ha: HomeAssistantClient  # signed in
    base_url: str
    webhook_url: str  # Sendblue's, as registered at the simulator
    secret: str
    pid: int
    config_dir: Path


def pin_cores() -> tuple[list[str], list[str], str]:
    """Return taskset prefixes for Home Assistant and the load, and how pinned."""
    cores = sorted(os.sched_getaffinity(0))
    taskset = shutil.which("taskset")
    if taskset is None or len(cores) < 2:  # noqa: PLR2004 -- one core each
        return [], [], "not pinned (taskset or a second core missing)"
    ha_core, load_core = cores[0], cores[1]
    # The driver (and the simulator in it) is idle during a run: it shares wrk's core.
    os.sched_setaffinity(0, {load_core})
    return (
        [taskset, "-c", str(ha_core)],
        [taskset, "-c", str(load_core)],
        f"Home Assistant on core {ha_core}, the load on core {load_core}",
    )


@contextmanager
def integration_at(revision: str) -> Iterator[Path]:
    """Yield a directory holding the integration as it was at a git revision."""
    git = shutil.which("git") or "git"
    archive = subprocess.run(  # noqa: S603 -- git with our own arguments
        [git, "archive", revision, "custom_components/sendblue"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryDirectory(prefix="sendblue-at-") as into:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(into, filter="data")
        yield Path(into) / "custom_components" / "sendblue"


@dataclass(frozen=True, kw_only=True)
class StartedHomeAssistant:
    """A Home Assistant process with a loaded Sendblue entry, signed in."""

    ha: HomeAssistantClient
    base_url: str
    entry_id: str
    pid: int
    config_dir: Path
    check: Callable[[], None]  # raises as soon as the process has exited


@asynccontextmanager
async def started_home_assistant(
    work: Path,
    simulator: Simulator,
    *,
    configuration: str,
    ha_prefix: Sequence[str] = (),
    integration: Path = INTEGRATION_DIR,
) -> AsyncIterator[StartedHomeAssistant]:
    """Run Home Assistant and add a Sendblue entry for the simulator's account."""
    port = free_port()
    base_url = f"http://{LOOPBACK}:{port}"
    config = work / "config"
    prepare_config_dir(config, port=port)
    (config / "configuration.yaml").write_text(configuration, encoding="utf-8")
    custom = config / "custom_components"
    if integration != INTEGRATION_DIR:
        (custom / DOMAIN).unlink()
        (custom / DOMAIN).symlink_to(integration, target_is_directory=True)
    (custom / REFERENCE).symlink_to(REFERENCE_INTEGRATION, target_is_directory=True)
    # A PYTHONPATH with the repository on it would make its custom_components the
    # package Home Assistant imports, hiding the reference integration.
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    process = ManagedProcess(
        "home-assistant",
        [*ha_prefix, *hass_command(config)],
        log_path=work / "home-assistant.log",
        cwd=ROOT,
        env=hass_environment(environment, base_url),
    )

    def check() -> None:
        """Give up as soon as Home Assistant exits."""
        if not process.running:
            raise DevToolsError(process.describe_exit())

    process.start()
    try:
        async with aiohttp.ClientSession() as session:
            ha = HomeAssistantClient(session, base_url, check=check)
            await ha.wait_up(STARTUP_S)
            await ha.sign_in(DEMO_USER)
            await ha.wait_running(STARTUP_S)
            entry = await ha.add_sendblue_entry(
                SimulatorAccount(
                    base_url=simulator.base_url,
                    api_key_id=simulator.api_key_id,
                    api_secret_key=simulator.api_secret_key,
                )
            )
            await ha.wait_entry_state(entry["entry_id"], "loaded")
            yield StartedHomeAssistant(
                ha=ha,
                base_url=base_url,
                entry_id=entry["entry_id"],
                pid=process.pid or 0,
                config_dir=config,
                check=check,
            )
    finally:
        process.stop()


@asynccontextmanager
async def running_home_assistant(
    work: Path,
    simulator: Simulator,
    ha_prefix: list[str],
    *,
    configuration: str = BASE_CONFIGURATION,
    integration: Path = INTEGRATION_DIR,
) -> AsyncIterator[RunningHomeAssistant]:
    """Run Home Assistant with Sendblue (from integration) set up and checked."""
    async with started_home_assistant(
        work,
        simulator,
        configuration=configuration,
        ha_prefix=ha_prefix,
        integration=integration,
    ) as started:
        ha, base_url = started.ha, started.base_url
        # New entries may pick another receive mode (auto): these benchmarks
        # measure the webhook. The entry reloads with it.
        await ha.set_options(started.entry_id, {"receive_mode": "webhook"})

        async def registered() -> dict[str, Any] | None:
            """Return the webhook registered at Sendblue, with its secret."""
            return next(
                (
                    hook
                    for hook in simulator.control.webhooks()["receive"]
                    if isinstance(hook, dict) and hook["url"].startswith(base_url)
                ),
                None,
            )

        hook = await wait_until(registered, within=60, what="webhook registered")
        await ha.wait_entry_state(started.entry_id, "loaded")
        _check_files(
            (await ha.request("GET", f"/api/{REFERENCE}"))["files"],
            {REFERENCE: REFERENCE_INTEGRATION, DOMAIN: integration},
        )
        yield RunningHomeAssistant(
            ha=ha,
            base_url=base_url,
            webhook_url=hook["url"],
            secret=str(hook["secret"]),
            pid=started.pid,
            config_dir=started.config_dir,
        )


def _check_files(files: dict[str, str], expected: dict[str, Path]) -> None:
    """Fail unless each integration was loaded from the directory meant."""
    for domain, directory in expected.items():
        # The config directory links to them: compare where the links lead.
        loaded = Path(files.get(domain) or "/").resolve()
        if loaded != (directory / "__init__.py").resolve():
            msg = f"{domain} was loaded from {loaded}, not {directory}"
            raise DevToolsError(msg)
