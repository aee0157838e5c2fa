"""Webhook ingest: our webhook against a bare reference, in one real Home Assistant.

Home Assistant runs as its own process (devtools lays out the config directory and
signs in), pinned to one core; wrk runs pinned to another. Both webhooks live in the
same process and get the same bodies from the same wrk script in the same run,
alternated A/B (then B/A) for several rounds; medians are reported.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from devtools.common import DevToolsError
from devtools.config_dir import prepare_config_dir
from devtools.processes import (
    LOOPBACK,
    ManagedProcess,
    free_port,
    hass_command,
    hass_environment,
)
from devtools.rest import DEMO_USER, HomeAssistantClient
from devtools.simulator import SimulatorAccount
from sendblue_simulator import RealClock, Simulator, start_simulator

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
LUA_SCRIPT = BENCH_DIR / "ingest.lua"
REFERENCE_INTEGRATION = BENCH_DIR / "reference" / "bench_reference"
PAYLOAD = ROOT / "tests" / "fixtures" / "webhook_message_received.json"
REFERENCE_PATH = "/api/webhook/bench_reference"
HANDLE_MARK = "@HANDLE@"
OURS, REFERENCE = "sendblue", "reference"
WARMUP_S = 2
# Quiet logging: a log line per request would be part of what is measured.
CONFIGURATION = """\
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
class LoadRun:
    """One wrk run against one webhook."""

    handler: str
    concurrency: int
    requests_per_s: float
    p50_us: float
    p99_us: float
    failures: int


@dataclass(frozen=True, kw_only=True)
class IngestRow:
    """Medians of the rounds at one concurrency, for both webhooks."""

    concurrency: int
    rounds: int
    ours: tuple[float, float, float]  # requests/s, p50 µs, p99 µs
    reference: tuple[float, float, float]
    ratio: float  # median of the paired throughput ratios, ours / reference
    failures: int


@dataclass(frozen=True, kw_only=True)
class IngestResult:
    """The ingest benchmark's rows and how it was run."""

    rows: list[IngestRow]
    duration_s: float
    pinned: str
    processes: str


def _cores() -> tuple[list[str], list[str], str]:
    """Return taskset prefixes for Home Assistant and wrk, and how they are pinned."""
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
        f"Home Assistant on core {ha_core}, wrk (1 thread) on core {load_core}",
    )


def _body_template(line: str) -> bytes:
    """Return the documented inbound body, addressed to a line of the account."""
    payload: dict[str, Any] = json.loads(PAYLOAD.read_text(encoding="utf-8"))
    documented_line = payload["to_number"]
    payload["message_handle"] = HANDLE_MARK
    payload["to_number"] = payload["sendblue_number"] = line
    payload["participants"] = [
        line if number == documented_line else number
        for number in payload["participants"]
    ]
    return json.dumps(payload).encode()


@asynccontextmanager
async def _home_assistant(
    work: Path, simulator: Simulator, ha_prefix: list[str]
) -> AsyncIterator[tuple[str, str, str]]:
    """Run Home Assistant with Sendblue set up; yield its URL, our path and secret."""
    port = free_port()
    base_url = f"http://{LOOPBACK}:{port}"
    config = work / "config"
    prepare_config_dir(config, port=port)
    (config / "configuration.yaml").write_text(CONFIGURATION, encoding="utf-8")
    (config / "custom_components" / "bench_reference").symlink_to(
        REFERENCE_INTEGRATION, target_is_directory=True
    )
    process = ManagedProcess(
        "home-assistant",
        [*ha_prefix, *hass_command(config)],
        log_path=work / "home-assistant.log",
        cwd=ROOT,
        env=hass_environment(os.environ, base_url),
    )

    def check() -> None:
        """Give up as soon as Home Assistant exits."""
        if not process.running:
            raise DevToolsError(process.describe_exit())

    process.start()
    try:
        async with aiohttp.ClientSession() as session:
            ha = HomeAssistantClient(session, base_url, check=check)
            await ha.wait_up(180)
            await ha.sign_in(DEMO_USER)
            await ha.wait_running(180)
            entry = await ha.add_sendblue_entry(
                SimulatorAccount(
                    base_url=simulator.base_url,
                    api_key_id=simulator.api_key_id,
                    api_secret_key=simulator.api_secret_key,
                )
            )
            await ha.wait_entry_state(entry["entry_id"], "loaded")
        # The integration registered its webhook, with its secret, at Sendblue.
        hook = next(
            hook
            for hook in simulator.control.webhooks()["receive"]
            if isinstance(hook, dict) and hook["url"].startswith(base_url)
        )
        yield base_url, URL(hook["url"]).path, str(hook["secret"])
    finally:
        process.stop()


async def _wrk(
    load_prefix: list[str],
    url: str,
    *,
    concurrency: int,
    seconds: float,
    template: Path,
    secret: str,
    run_id: str,
) -> dict[str, Any]:
    """Run wrk once and return what the script's done() reports."""
    wrk = shutil.which("wrk")
    if wrk is None:
        msg = "wrk is not installed (apt-get install wrk)"
        raise RuntimeError(msg)
    process = await asyncio.create_subprocess_exec(
        *load_prefix,
        wrk,
        "-t1",
        f"-c{concurrency}",
        f"-d{seconds:g}s",
        "-s",
        str(LUA_SCRIPT),
        url,
        "--",
        str(template),
        secret,
        run_id,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    lines = [line for line in stdout.decode().splitlines() if line.startswith("{")]
    if process.returncode or not lines:
        msg = f"wrk failed: {stderr.decode()} {stdout.decode()}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(lines[-1])
    return result


async def _sanity_check(base_url: str, path: str, secret: str, body: bytes) -> None:
    """Make sure both webhooks accept the body before measuring them."""
    headers = {"sb-signing-secret": secret, "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        for target in (path, REFERENCE_PATH):
            async with session.post(
                f"{base_url}{target}", data=body, headers=headers
            ) as response:
                if response.status != 200:  # noqa: PLR2004
                    msg = f"{target} answered {response.status}"
                    raise RuntimeError(msg)


async def run_ingest(
    *,
    duration_s: float = 4.0,
    rounds: int = 5,
    concurrencies: Sequence[int] = (1, 8),
    keep: Path | None = None,
) -> IngestResult:
    """Measure both webhooks; return medians per concurrency.

    keep: a directory for Home Assistant's config and log, kept afterwards.
    """
    ha_prefix, load_prefix, pinned = _cores()
    work = keep or Path(tempfile.mkdtemp(prefix="sendblue-bench-"))
    async with (
        start_simulator(clock=RealClock(), seed=1) as simulator,
        _home_assistant(work, simulator, ha_prefix) as (base_url, path, secret),
    ):
        body = _body_template(simulator.lines[0])
        template = work / "body.json"
        template.write_bytes(body)
        await _sanity_check(
            base_url, path, secret, body.replace(HANDLE_MARK.encode(), b"sanity")
        )
        urls = {OURS: f"{base_url}{path}", REFERENCE: f"{base_url}{REFERENCE_PATH}"}
        runs: list[LoadRun] = []
        counter = 0

        async def measure(handler: str, concurrency: int, seconds: float) -> LoadRun:
            nonlocal counter
            counter += 1
            out = await _wrk(
                load_prefix,
                urls[handler],
                concurrency=concurrency,
                seconds=seconds,
                template=template,
                secret=secret,
                run_id=str(counter),
            )
            failures = sum(
                out[key]
                for key in (
                    "status_errors",
                    "connect_errors",
                    "read_errors",
                    "write_errors",
                    "timeouts",
                )
            )
            return LoadRun(
                handler=handler,
                concurrency=concurrency,
                requests_per_s=out["requests"] / (out["duration_us"] / 1e6),
                p50_us=out["p50_us"],
                p99_us=out["p99_us"],
                failures=failures,
            )

        for handler in (OURS, REFERENCE):
            await measure(handler, max(concurrencies), WARMUP_S)
        for concurrency in concurrencies:
            for round_number in range(rounds):
                # A/B then B/A, so drift during the run favours neither.
                order = (
                    (OURS, REFERENCE) if round_number % 2 == 0 else (REFERENCE, OURS)
                )
                runs.extend(
                    [
                        await measure(handler, concurrency, duration_s)
                        for handler in order
                    ]
                )
    if keep is None:
        with suppress(OSError):
            shutil.rmtree(work)
    return IngestResult(
        rows=[_row(runs, concurrency, rounds) for concurrency in concurrencies],
        duration_s=duration_s,
        pinned=pinned,
        processes="One Home Assistant process (devtools), both webhooks in it",
    )


def _row(runs: list[LoadRun], concurrency: int, rounds: int) -> IngestRow:
    """Summarize the rounds at one concurrency."""
    ours = [r for r in runs if r.handler == OURS and r.concurrency == concurrency]
    ref = [r for r in runs if r.handler == REFERENCE and r.concurrency == concurrency]

    def medians(items: list[LoadRun]) -> tuple[float, float, float]:
        return (
            statistics.median(r.requests_per_s for r in items),
            statistics.median(r.p50_us for r in items),
            statistics.median(r.p99_us for r in items),
        )

    return IngestRow(
        concurrency=concurrency,
        rounds=rounds,
        ours=medians(ours),
        reference=medians(ref),
        ratio=statistics.median(
            a.requests_per_s / b.requests_per_s for a, b in zip(ours, ref, strict=True)
        ),
        failures=sum(r.failures for r in ours + ref),
    )
