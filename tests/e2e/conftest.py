"""Fixtures of the end-to-end tests: one simulator and one Home Assistant per module.

Both run as subprocesses on free loopback ports. They start on first use, from a test
that has sockets enabled, and stop (SIGTERM, then SIGKILL) when the module is done;
so do the simulators of more accounts (ensure_accounts), which the restart adds.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from devtools.common import DevToolsError, JsonObject, wait_until
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
from devtools.websocket import EventSubscription, HomeAssistantWebSocket

LINE_1 = "+15125550101"
LINE_2 = "+15125550102"
# Numbers ending in an even digit are iMessage in the simulator: tapbacks apply.
RECIPIENT = Recipient(name="Alex", target="+15125550198", line=LINE_1)
# Short, real-clock status steps: QUEUED, then SENT and DELIVERED within 0.1 s.
LATENCY_MS = 50
STARTUP_TIMEOUT = 60.0
ACTIVITY = ("_last_received", "_last_sent")

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


def handle_is(handle: str) -> Callable[[JsonObject], bool]:
    """Return a predicate matching events about one message."""
    return lambda event: event["data"]["message_handle"] == handle


async def status_events(
    subscription: EventSubscription, handle: str
) -> list[JsonObject]:
    """Collect the status events of a message until it is delivered."""
    events = [await subscription.next(handle_is(handle))]
    while events[-1]["data"]["status"] != "DELIVERED":
        events.append(await subscription.next(handle_is(handle)))
    return events


async def automation_entity(ha: HomeAssistantClient, automation_id: str) -> str | None:
    """Return the entity id of a UI-saved automation once it is loaded."""
    return next(
        (
            entity_id
            for entity_id, state in (await ha.states()).items()
            if entity_id.startswith("automation.")
            and state["attributes"].get("id") == automation_id
        ),
        None,
    )


async def save_automation(
    ha: HomeAssistantClient, automation_id: str, config: JsonObject
) -> str:
    """Save an automation as the UI's editor does, reload; return its entity id."""
    await ha.request(
        "POST", f"/api/config/automation/config/{automation_id}", json_body=config
    )
    await ha.call_service("automation", "reload", {})
    return await wait_until(
        lambda: automation_entity(ha, automation_id),
        within=30,
        what=f"the saved automation {automation_id}",
    )


async def line_activity(ha: HomeAssistantClient, line: str) -> dict[str, str]:
    """Return the states of a line's activity sensors, found in the REST states."""
    # A line's entity ids are made of its number: sensor.1_512_555_0101_last_sent.
    digits = line.removeprefix("+")
    return {
        entity_id: state["state"]
        for entity_id, state in (await ha.states()).items()
        if entity_id.startswith("sensor.")
        and entity_id.endswith(ACTIVITY)
        and digits in entity_id.replace("_", "")
        and state["attributes"].get("device_class") == "timestamp"
    }


@dataclass
class Account:
    """Another simulated Sendblue account: its own simulator and entry."""

    account: SimulatorAccount
    simulator: ManagedProcess
    entry_id: str | None = None

    def sim_client(self, session: aiohttp.ClientSession) -> SimulatorClient:
        """Return a client of this account's simulator."""
        return SimulatorClient(session, self.account.base_url)


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
    # Accounts besides the first, by name, each on a simulator of its own.
    accounts: dict[str, Account] = field(default_factory=dict)
    # Ports handed out, not all listened on yet: the kernel may offer them again.
    ports: set[int] = field(default_factory=set)

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
        """Raise with the process's last output when any has died."""
        others = [account.simulator for account in self.accounts.values()]
        for process in (self.simulator, self.hass, *others):
            if process is not None and process.returncode is not None:
                raise DevToolsError(process.describe_exit())

    def _simulator(
        self, name: str, lines: Sequence[str] = (), email: str | None = None
    ) -> tuple[SimulatorAccount, ManagedProcess]:
        """Describe a simulator on a free port, with an account of unique keys."""
        port = self._free_port()
        # Unique secrets, so finding them in the log cannot be a coincidence.
        account = SimulatorAccount(
            base_url=f"http://{LOOPBACK}:{port}",
            api_key_id=f"e2e-key-{secrets.token_hex(4)}",
            api_secret_key=f"e2e-api-secret-{secrets.token_hex(16)}",
        )
        process = ManagedProcess(
            name,
            simulator_command(
                port,
                latency_ms=LATENCY_MS,
                seed=1,
                account=account,
                lines=lines,
                account_email=email,
            ),
            log_path=self.workdir / f"{name}.log",
            cwd=ROOT,
        )
        return account, process

    def _free_port(self) -> int:
        """Return a free port not handed out before."""
        port = free_port()
        while port in self.ports:
            port = free_port()
        self.ports.add(port)
        return port

    def _create_processes(self) -> None:
        """Pick ports, lay out the config directory, describe both processes."""
        self.ha_port = self._free_port()
        self.account, self.simulator = self._simulator("simulator")
        prepare_config_dir(self.config_dir, port=self.ha_port)
        self.hass = ManagedProcess(
            "Home Assistant",
            hass_command(self.config_dir),
            log_path=self.workdir / "hass.log",
            cwd=self.config_dir,
            env=hass_environment(os.environ, self.ha_url, commit_interval=0),
        )

    async def ensure_ready(self, session: aiohttp.ClientSession) -> None:
        """Start what is not running, and get a loaded entry with a recipient."""
        # Cheap when all is up, so every test asks for it and none depends on order.
        if self.simulator is None:
            self._create_processes()
        assert self.simulator is not None
        assert self.hass is not None
        # Started together: Home Assistant needs the simulator only for the entry.
        self.simulator.start()
        if not self.hass.running:
            await self.start_hass(session)
        await self.sim_client(session).wait_up(STARTUP_TIMEOUT)
        await self._ensure_entry(session)

    async def start_hass(self, session: aiohttp.ClientSession) -> float:
        """Start Home Assistant, sign in, wait until it has started.

        Return when (time.monotonic()) it first answered a signed-in request.
        """
        assert self.hass is not None
        self.hass.start()
        ha = self.ha_client(session)
        await ha.wait_up(STARTUP_TIMEOUT)
        await ha.sign_in(DEMO_USER)
        answered = time.monotonic()
        self.token = ha.token
        await ha.wait_running(STARTUP_TIMEOUT)
        return answered

    async def _ensure_entry(self, session: aiohttp.ClientSession) -> None:
        """Add the integration and a recipient unless a test removed or disabled it."""
        ha = self.ha_client(session)
        entry = next(
            (e for e in await ha.entries() if e["entry_id"] == self.entry_id), None
        )
        if entry is None:
            assert self.account is not None
            entry = await ha.add_sendblue_entry(self.account)
            self.entry_id = entry["entry_id"]
            await ha.wait_entry_state(entry["entry_id"], "loaded")
            # New entries receive by the stream (auto); this entry tests the
            # webhook, and the other modes have accounts of their own.
            await ha.set_options(entry["entry_id"], {"receive_mode": "webhook"})
            await ha.wait_entry_state(entry["entry_id"], "loaded")
            await ha.add_recipient(entry["entry_id"], RECIPIENT)
            self.notify_entity = await ha.wait_recipient_entity(
                entry["entry_id"], RECIPIENT.name
            )
        elif entry["disabled_by"] is not None:
            async with ha.websocket() as ws:
                await ws.command(
                    "config_entries/disable", entry_id=self.entry_id, disabled_by=None
                )
        assert self.entry_id is not None
        await ha.wait_entry_state(self.entry_id, "loaded")
        await self.find_webhook(session)

    async def ensure_accounts(
        self, session: aiohttp.ClientSession, wanted: dict[str, AccountSpec]
    ) -> dict[str, Account]:
        """Return loaded entries of more accounts, each on a simulator of its own."""
        for name, spec in wanted.items():
            if name not in self.accounts:
                keys, simulator = self._simulator(
                    f"simulator-{name}", [spec.line], spec.email
                )
                self.accounts[name] = Account(keys, simulator)
        # Started together: each takes a moment to import its server.
        for account in self.accounts.values():
            account.simulator.start()
        for account in self.accounts.values():
            await account.sim_client(session).wait_up(STARTUP_TIMEOUT)
        ha = self.ha_client(session)
        entries = {entry["entry_id"] for entry in await ha.entries()}
        for name, spec in wanted.items():
            account = self.accounts[name]
            if account.entry_id not in entries:
                entry = await ha.add_sendblue_entry(account.account)
                account.entry_id = entry["entry_id"]
                await ha.wait_entry_state(account.entry_id, "loaded")
                await ha.set_options(account.entry_id, spec.options)
            assert account.entry_id is not None
            await ha.wait_entry_state(account.entry_id, "loaded")
        return {name: self.accounts[name] for name in wanted}

    async def find_webhook(self, session: aiohttp.ClientSession) -> None:
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
        """Stop every process."""
        self.stop_hass()
        for process in (self.simulator, *(a.simulator for a in self.accounts.values())):
            if process is not None:
                process.stop()


@dataclass(frozen=True)
class AccountSpec:
    """An account to add besides the first: its one line, e-mail and options."""

    line: str
    email: str
    options: JsonObject


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
