"""Fixtures of the end-to-end tests: one simulator and one Home Assistant per module.

Both run as subprocesses on free loopback ports. They start on first use, from a test
that has sockets enabled, and stop (SIGTERM, then SIGKILL) when the module is done.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from devtools.common import DevToolsError
from devtools.config_dir import prepare_config_dir
from devtools.integration import ROOT
from devtools.processes import (
    LOOPBACK,
    ManagedProcess,
    free_port,
    hass_command,
    hass_environment,
    simulator_command,
)
from devtools.rest import DEMO_USER, HomeAssistantClient, Recipient
from devtools.simulator import SimulatorAccount, SimulatorClient
from devtools.websocket import HomeAssistantWebSocket

LINE_1 = "+15125550101"
LINE_2 = "+15125550102"
# Numbers ending in an even digit are iMessage in the simulator: tapbacks apply.
RECIPIENT = Recipient(name="Alex", target="+15125550198", line=LINE_1)
# Short, real-clock status steps: QUEUED, then SENT and DELIVERED within 0.1 s.
LATENCY_MS = 50
STARTUP_TIMEOUT = 60.0

# Home Assistant 2026.10 writes local times without an offset, 2026.11 with one:
# "2026-12-01 08:01:56.509 WARNING" and "2026-12-01 08:01:56.509+00:00 WARNING".
LOG_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?:[+-]\d\d:\d\d)? (?P<level>[A-Z]+) "
    r"\((?P<thread>[^)]*)\) \[(?P<logger>[^\]]+)\] "
)


@dataclass
class LogRecord:
    """One record of Home Assistant's log, with its continuation lines."""

    level: str
    logger: str
    text: str


def parse_log(text: str) -> list[LogRecord]:
    """Split Home Assistant's output into records (tracebacks stay with theirs)."""
    records: list[LogRecord] = []
    for line in text.splitlines():
        if match := LOG_RECORD.match(line):
            records.append(LogRecord(match["level"], match["logger"], line))
        elif records:
            records[-1].text += "\n" + line
    return records


@dataclass
class Stack:
    """The simulator and Home Assistant of a module, started on first use."""

    workdir: Path
    account: SimulatorAccount | None = None
    ha_port: int = 0
    simulator: ManagedProcess | None = None
    hass: ManagedProcess | None = None
    token: str | None = None
    entry_id: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    notify_entity: str | None = None
    # Every webhook secret the integration registered, to look for in the log.
    webhook_secrets: set[str] = field(default_factory=set)

    @property
    def ha_url(self) -> str:
        """Return Home Assistant's URL (also its external URL)."""
        return f"http://{LOOPBACK}:{self.ha_port}"

    @property
    def config_dir(self) -> Path:
        """Return Home Assistant's config directory."""
        return self.workdir / "config"

    def ha_client(self, session: aiohttp.ClientSession) -> HomeAssistantClient:
        """Return a client signed in as the test user."""
        return HomeAssistantClient(
            session, self.ha_url, self.token, check=self.check_alive
        )

    def sim_client(self, session: aiohttp.ClientSession) -> SimulatorClient:
        """Return a client of the simulator's control API."""
        assert self.account is not None
        return SimulatorClient(session, self.account.base_url)

    def check_alive(self) -> None:
        """Raise with the process's last output when either has died."""
        for process in (self.simulator, self.hass):
            if process is not None and process.returncode is not None:
                raise DevToolsError(process.describe_exit())

    def _create_processes(self) -> None:
        """Pick ports, lay out the config directory, describe both processes."""
        self.ha_port = free_port()
        sim_port = free_port()
        while sim_port == self.ha_port:
            sim_port = free_port()
        # Unique secrets, so finding them in the log cannot be a coincidence.
        self.account = SimulatorAccount(
            base_url=f"http://{LOOPBACK}:{sim_port}",
            api_key_id=f"e2e-key-{secrets.token_hex(4)}",
            api_secret_key=f"e2e-api-secret-{secrets.token_hex(16)}",
        )
        prepare_config_dir(self.config_dir, port=self.ha_port)
        self.simulator = ManagedProcess(
            "simulator",
            simulator_command(
                sim_port, latency_ms=LATENCY_MS, seed=1, account=self.account
            ),
            log_path=self.workdir / "simulator.log",
            cwd=ROOT,
        )
        self.hass = ManagedProcess(
            "Home Assistant",
            hass_command(self.config_dir),
            log_path=self.workdir / "hass.log",
            cwd=self.config_dir,
            env=hass_environment(os.environ, self.ha_url),
        )

    async def ensure_ready(self, session: aiohttp.ClientSession) -> None:
        """Start what is not running, and get a loaded entry with a recipient."""
        # Cheap when all is up, so every test asks for it and none depends on order.
        if self.simulator is None:
            self._create_processes()
        assert self.simulator is not None
        assert self.hass is not None
        if not self.simulator.running:
            self.simulator.start()
            await self.sim_client(session).wait_up(STARTUP_TIMEOUT)
        if not self.hass.running:
            self.hass.start()
            ha = self.ha_client(session)
            await ha.wait_up(STARTUP_TIMEOUT)
            await ha.sign_in(DEMO_USER)
            self.token = ha.token
            await ha.wait_running(STARTUP_TIMEOUT)
        await self._ensure_entry(session)

    async def _ensure_entry(self, session: aiohttp.ClientSession) -> None:
        """Add the integration and a recipient unless a test removed or disabled it."""
        ha = self.ha_client(session)
        entries = await ha.entries()
        if not entries:
            assert self.account is not None
            entry = await ha.add_sendblue_entry(self.account)
            self.entry_id = entry["entry_id"]
            await ha.wait_entry_state(entry["entry_id"], "loaded")
            # New entries receive by the stream (auto); this module tests the
            # webhook, and tests of the other modes switch and switch back.
            await ha.set_options(entry["entry_id"], {"receive_mode": "webhook"})
            await ha.wait_entry_state(entry["entry_id"], "loaded")
            await ha.add_recipient(entry["entry_id"], RECIPIENT)
            self.notify_entity = await ha.wait_recipient_entity(
                entry["entry_id"], RECIPIENT.name
            )
        else:
            self.entry_id = entries[0]["entry_id"]
            if entries[0]["disabled_by"] is not None:
                async with ha.websocket() as ws:
                    await ws.command(
                        "config_entries/disable",
                        entry_id=self.entry_id,
                        disabled_by=None,
                    )
        assert self.entry_id is not None
        await ha.wait_entry_state(self.entry_id, "loaded")
        await self._find_webhook(session)

    async def _find_webhook(self, session: aiohttp.ClientSession) -> None:
        """Remember the URL and secret the integration registered with the simulator."""
        webhooks = await self.sim_client(session).state("webhooks")
        prefix = f"{self.ha_url}/api/webhook/"
        ours = [hook for hook in webhooks["receive"] if hook["url"].startswith(prefix)]
        assert len(ours) == 1, webhooks
        self.webhook_url = ours[0]["url"]
        self.webhook_secret = ours[0]["secret"]
        self.webhook_secrets.add(ours[0]["secret"])

    def stop_hass(self) -> int | None:
        """Stop Home Assistant gracefully; return its exit code."""
        return self.hass.stop() if self.hass else None

    def stop(self) -> None:
        """Stop both processes."""
        self.stop_hass()
        if self.simulator is not None:
            self.simulator.stop()


@pytest.fixture
def auto_enable_custom_integrations() -> None:
    """Replace the suite's autouse fixture: no in-process hass is needed here."""


@pytest.fixture(scope="module")
def e2e_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Return the module's processes; they are stopped when the module is done."""
    stack = Stack(tmp_path_factory.mktemp("e2e"))
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """Return an HTTP session for this test (sockets on, loopback only)."""
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
async def stack(e2e_stack: Stack, session: aiohttp.ClientSession) -> Stack:
    """Return the running processes with a loaded Sendblue entry and a recipient."""
    await e2e_stack.ensure_ready(session)
    return e2e_stack


@pytest.fixture
def ha(stack: Stack, session: aiohttp.ClientSession) -> HomeAssistantClient:
    """Return a REST client signed in to Home Assistant."""
    return stack.ha_client(session)


@pytest.fixture
def sim(stack: Stack, session: aiohttp.ClientSession) -> SimulatorClient:
    """Return a client of the simulator's control API."""
    return stack.sim_client(session)


@pytest.fixture
async def ws(ha: HomeAssistantClient) -> AsyncIterator[HomeAssistantWebSocket]:
    """Return an authenticated websocket connection to Home Assistant."""
    async with ha.websocket() as connection:
        yield connection
