"""Prepare, start and drive a real Home Assistant next to the Sendblue simulator.

The demo (scripts/develop), the end-to-end tests and the screenshots share this module:
the config directory layout, the commands that start both processes, and an async client
for Home Assistant's REST and websocket APIs and for the simulator's control API.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import aiohttp

from .processes import LOOPBACK

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION_DIR = ROOT / "custom_components" / "sendblue"
CONFIGURATION_YAML = ROOT / "config" / "configuration.yaml"
# configuration.yaml reads Home Assistant's own URL from here (!env_var).
EXTERNAL_URL_ENV = "SENDBLUE_DEV_EXTERNAL_URL"

DOMAIN = "sendblue"
SUBENTRY_RECIPIENT = "recipient"
EVENT_MESSAGE_RECEIVED = "sendblue_message_received"
EVENT_MESSAGE_STATUS = "sendblue_message_status"
WEBHOOK_TYPES = ("receive", "outbound", "typing_indicator")

type JsonObject = dict[str, Any]


# Packages a real Home Assistant imports beyond what the venv has. get_services (which
# the frontend calls first) imports assist_satellite, hence tts, ffmpeg and
# assist_pipeline: without their packages the frontend never gets past "Loading...".
# HA 2026.10.4 pins pymicro-vad 1.0.1 and pyspeex-noise 1.0.2, which have no Python
# 3.14 wheels; 2.x are abi3 wheels with the same imports. The protocol libraries keep
# two default integrations from failing with an "Invalid config" notification.
class DevToolsError(Exception):
    """Home Assistant or the simulator did not answer as expected."""


@dataclass(frozen=True)
class User:
    """A Home Assistant login."""

    name: str
    username: str
    password: str


DEMO_USER = User(name="Demo", username="demo", password="sendblue-demo")  # noqa: S106 -- a documented local demo login


@dataclass(frozen=True)
class Recipient:
    """A recipient subentry to create."""

    name: str
    target: str
    line: str | None = None
    kind: str = "contact"


@dataclass(frozen=True)
class SimulatorAccount:
    """What the config flow needs to reach a simulator."""

    base_url: str
    api_key_id: str = "sim-key-id"
    api_secret_key: str = "sim-secret-key"  # noqa: S105 -- the simulator's documented default


# -- config directory and command lines ---------------------------------------------


def http_storage(port: int) -> JsonObject:
    """Return .storage/http with loopback settings already confirmed as stable."""
    # HA 2026.10 keeps http settings in storage; YAML ones become a pending trial that
    # is reverted (with a restart) after five minutes unless an admin confirms them.
    stable = {
        "server_port": port,
        "server_host": [LOOPBACK],
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
        "created_at": "2026-01-01T00:00:00+00:00",
        "error": None,
        "error_message": None,
    }
    return {
        "version": 2,
        "minor_version": 2,
        "key": "http",
        "data": {"stable": stable, "pending": None, "yaml_migration_done": False},
    }


# Every onboarding step but the user: the core_config step would start the met,
# radio_browser and google_translate config flows, which reach the internet.
ONBOARDING_SEED: JsonObject = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": ["core_config", "analytics", "integration"]},
}


def prepare_config_dir(config_dir: Path, *, port: int) -> None:
    """Lay out a config directory: YAML, http settings, onboarding, the integration."""
    config_dir.mkdir(parents=True, exist_ok=True)
    yaml = config_dir / "configuration.yaml"
    if not yaml.exists() or not yaml.samefile(CONFIGURATION_YAML):
        shutil.copyfile(CONFIGURATION_YAML, yaml)
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    _write_json(storage / "http", http_storage(port))
    if not (storage / "onboarding").exists() and not (storage / "auth").exists():
        _write_json(storage / "onboarding", ONBOARDING_SEED)
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / DOMAIN
    if link.is_symlink():
        link.unlink()
    elif link.exists():
        msg = f"{link} is not a symlink to {INTEGRATION_DIR}; remove it first"
        raise DevToolsError(msg)
    # A link, not a copy: Home Assistant runs the code being edited.
    link.symlink_to(INTEGRATION_DIR, target_is_directory=True)


def _write_json(path: Path, data: JsonObject) -> None:
    """Write a JSON file as Home Assistant's storage does."""
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def hass_command(config_dir: Path) -> list[str]:
    """Return the command line of Home Assistant on a config directory."""
    # The venv's `hass` script, not `python -m`, so the cwd is not on sys.path.
    hass = Path(sys.executable).with_name("hass")
    return [str(hass), "-c", str(config_dir), "--skip-pip", "--log-no-color"]


def hass_environment(base: Mapping[str, str], external_url: str) -> dict[str, str]:
    """Return the environment of Home Assistant: the caller's plus its own URL."""
    return {**base, EXTERNAL_URL_ENV: external_url}


def simulator_command(
    port: int,
    *,
    latency_ms: int = 0,
    seed: int | None = None,
    account: SimulatorAccount | None = None,
) -> list[str]:
    """Return the command line of the simulator (run it with cwd=ROOT)."""
    command = [
        sys.executable,
        "-m",
        "sendblue_simulator",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--latency-ms",
        str(latency_ms),
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    if account is not None:
        command += [
            "--api-key-id",
            account.api_key_id,
            "--api-secret-key",
            account.api_secret_key,
        ]
    return command


# -- polling --------------------------------------------------------------------------


async def wait_until[T](
    probe: Callable[[], Awaitable[T | None]],
    *,
    within: float,
    what: str,
    interval: float = 0.05,
    check: Callable[[], None] | None = None,
) -> T:
    """Poll probe until it returns non-None; check() may raise to give up early."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    last_error: Exception | None = None
    while True:
        if check is not None:
            check()
        try:
            result = await probe()
        except (aiohttp.ClientError, OSError) as err:
            # "Not yet": servers refuse connections while they start.
            last_error, result = err, None
        else:
            last_error = None
        if result is not None:
            return result
        if loop.time() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            msg = f"{what}: not within {within:g} s{detail}"
            raise TimeoutError(msg)
        await asyncio.sleep(interval)


# -- the simulator --------------------------------------------------------------------


class SimulatorClient:
    """The simulator's control API (/_sim/)."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        """Use a session for a simulator at base_url."""
        self.session = session
        self.base_url = base_url.rstrip("/")

    async def state(self, section: str) -> Any:  # noqa: ANN401 -- any section's JSON
        """Return one section of GET /_sim/state."""
        async with self.session.get(f"{self.base_url}/_sim/state/{section}") as resp:
            resp.raise_for_status()
            return await resp.json()

    async def wait_up(self, within: float = 30.0) -> None:
        """Wait until the simulator answers."""

        async def probe() -> bool | None:
            async with self.session.get(f"{self.base_url}/_sim/state/settings") as r:
                return True if r.status == 200 else None  # noqa: PLR2004

        await wait_until(probe, within=within, what="Sendblue simulator up")

    async def inbound(self, **fields: Any) -> JsonObject:  # noqa: ANN401
        """Make a contact text one of the lines; return the stored message."""
        async with self.session.post(
            f"{self.base_url}/_sim/inbound", json=fields
        ) as resp:
            if resp.status != 200:  # noqa: PLR2004
                msg = f"inject failed: {resp.status} {await resp.text()}"
                raise DevToolsError(msg)
            result: JsonObject = await resp.json()
            return result

    async def webhooks_for(self, url: str) -> dict[str, list[JsonObject]]:
        """Return the registrations of a URL, by webhook type."""
        webhooks: JsonObject = await self.state("webhooks")
        return {
            kind: [
                entry
                for entry in webhooks.get(kind, [])
                if isinstance(entry, dict) and entry.get("url") == url
            ]
            for kind in WEBHOOK_TYPES
        }


# -- Home Assistant -------------------------------------------------------------------


class HomeAssistantClient:
    """Home Assistant's REST API, authenticated as one user."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        token: str | None = None,
        *,
        check: Callable[[], None] | None = None,
    ) -> None:
        """Use a session for Home Assistant at base_url; check raises if it died."""
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.check = check

    @property
    def client_id(self) -> str:
        """Return the OAuth client id: Home Assistant's own URL, like the frontend."""
        return f"{self.base_url}/"

    def _headers(self) -> dict[str, str]:
        """Return the authorization header once signed in."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: object = None,
        expect: int = 200,
    ) -> Any:  # noqa: ANN401 -- any endpoint's JSON
        """Call the REST API; fail unless the status is expect; return the JSON."""
        async with self.session.request(
            method, f"{self.base_url}{path}", json=json_body, headers=self._headers()
        ) as resp:
            text = await resp.text()
            if resp.status != expect:
                msg = f"{method} {path}: {resp.status} {text[:500]}"
                raise DevToolsError(msg)
            return json.loads(text) if text else None

    # ---- readiness and signing in

    async def wait_up(self, within: float = 60.0) -> None:
        """Wait until the HTTP server answers (before any sign-in)."""

        async def probe() -> bool:
            # Any answer will do: before onboarding most endpoints refuse politely.
            async with self.session.get(f"{self.base_url}/api/onboarding"):
                return True

        await wait_until(
            probe, within=within, what="Home Assistant HTTP up", check=self.check
        )

    async def wait_running(self, within: float = 60.0) -> None:
        """Wait until Home Assistant reports it has finished starting."""

        async def probe() -> bool | None:
            config = await self.request("GET", "/api/config")
            return True if config.get("state") == "RUNNING" else None

        await wait_until(
            probe, within=within, what="Home Assistant running", check=self.check
        )

    async def user_step_done(self) -> bool:
        """Return whether onboarding has created its user."""
        async with self.session.get(f"{self.base_url}/api/onboarding") as resp:
            # Once every step is done the onboarding views are not registered.
            if resp.status == 404:  # noqa: PLR2004
                return True
            steps = await resp.json()
        return any(step["step"] == "user" and step["done"] for step in steps)

    async def onboard(self, user: User) -> None:
        """Create the owner through onboarding and sign in as them."""
        result = await self.request(
            "POST",
            "/api/onboarding/users",
            json_body={
                "client_id": self.client_id,
                "name": user.name,
                "username": user.username,
                "password": user.password,
                "language": "en",
            },
        )
        await self._exchange(result["auth_code"])

    async def login(self, user: User) -> None:
        """Sign in through the login flow, as the frontend does."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            json_body={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json_body={
                "client_id": self.client_id,
                "username": user.username,
                "password": user.password,
            },
        )
        if result.get("type") != "create_entry":
            msg = f"login as {user.username} failed: {result.get('errors')}"
            raise DevToolsError(msg)
        await self._exchange(result["result"])

    async def sign_in(self, user: User) -> None:
        """Onboard the user on a fresh instance, else log in."""
        if await self.user_step_done():
            await self.login(user)
        else:
            await self.onboard(user)

    async def _exchange(self, code: str) -> None:
        """Trade an authorization code for an access token."""
        async with self.session.post(
            f"{self.base_url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        ) as resp:
            if resp.status != 200:  # noqa: PLR2004
                msg = f"token exchange failed: {resp.status} {await resp.text()}"
                raise DevToolsError(msg)
            self.token = (await resp.json())["access_token"]

    # ---- state and actions

    async def states(self) -> dict[str, JsonObject]:
        """Return every entity state by entity id."""
        states = await self.request("GET", "/api/states")
        return {state["entity_id"]: state for state in states}

    async def call_service(
        self,
        domain: str,
        service: str,
        data: JsonObject,
        *,
        return_response: bool = False,
    ) -> JsonObject:
        """Call an action; with return_response, return its response."""
        query = "?return_response" if return_response else ""
        result = await self.request(
            "POST", f"/api/services/{domain}/{service}{query}", json_body=data
        )
        return result["service_response"] if return_response else {}

    # ---- config entries

    async def entries(self, domain: str = DOMAIN) -> list[JsonObject]:
        """Return the config entries of a domain."""
        entries: list[JsonObject] = await self.request(
            "GET", f"/api/config/config_entries/entry?domain={domain}"
        )
        return entries

    async def wait_entry_state(
        self, entry_id: str, state: str, within: float = 30.0
    ) -> JsonObject:
        """Wait until a config entry reaches a state (e.g. loaded)."""

        async def probe() -> JsonObject | None:
            for entry in await self.entries():
                if entry["entry_id"] == entry_id and entry["state"] == state:
                    return entry
            return None

        return await wait_until(
            probe,
            within=within,
            what=f"config entry {entry_id} {state}",
            check=self.check,
        )

    async def add_sendblue_entry(self, account: SimulatorAccount) -> JsonObject:
        """Add Sendblue through the config flow, the simulator as its API host."""
        form = await self.request(
            "POST",
            "/api/config/config_entries/flow",
            json_body={"handler": DOMAIN, "show_advanced_options": False},
        )
        _expect_form(form, "user")
        result = await self.request(
            "POST",
            f"/api/config/config_entries/flow/{form['flow_id']}",
            json_body=_credentials(account),
        )
        if result.get("type") != "create_entry":
            msg = f"config flow did not create an entry: {result}"
            raise DevToolsError(msg)
        entry: JsonObject = result["result"]
        return entry

    async def reconfigure_sendblue_entry(
        self, entry_id: str, account: SimulatorAccount
    ) -> None:
        """Point an entry at the simulator again (its URL may have changed)."""
        form = await self.request(
            "POST",
            "/api/config/config_entries/flow",
            json_body={"handler": DOMAIN, "entry_id": entry_id},
        )
        _expect_form(form, "reconfigure")
        result = await self.request(
            "POST",
            f"/api/config/config_entries/flow/{form['flow_id']}",
            json_body=_credentials(account),
        )
        if result.get("reason") != "reconfigure_successful":
            msg = f"reconfigure failed: {result}"
            raise DevToolsError(msg)

    async def add_recipient(self, entry_id: str, recipient: Recipient) -> JsonObject:
        """Add a recipient through the subentry flow; return the flow's result."""
        form = await self.request(
            "POST",
            "/api/config/config_entries/subentries/flow",
            json_body={"handler": [entry_id, SUBENTRY_RECIPIENT]},
        )
        _expect_form(form, "user")
        data: JsonObject = {
            "name": recipient.name,
            "kind": recipient.kind,
            "target": recipient.target,
        }
        if recipient.line:
            data["line"] = recipient.line
        result: JsonObject = await self.request(
            "POST",
            f"/api/config/config_entries/subentries/flow/{form['flow_id']}",
            json_body=data,
        )
        if result.get("type") != "create_entry":
            msg = f"subentry flow did not create a recipient: {result}"
            raise DevToolsError(msg)
        return result

    async def wait_recipient_entity(
        self, entry_id: str, title: str, within: float = 30.0
    ) -> str:
        """Wait until a recipient's notify entity has a state; return its entity id."""
        # Adding a recipient reloads the entry, so the entity comes a moment later.
        async with self.websocket() as ws:
            subentries = await ws.command(
                "config_entries/subentries/list", entry_id=entry_id
            )
            subentry_id = next(
                sub["subentry_id"] for sub in subentries if sub["title"] == title
            )

            async def probe() -> str | None:
                entities = await ws.command("config/entity_registry/list")
                entity_id = next(
                    (
                        entity["entity_id"]
                        for entity in entities
                        if entity.get("config_subentry_id") == subentry_id
                        and entity["platform"] == DOMAIN
                    ),
                    None,
                )
                if entity_id is None:
                    return None
                state = (await self.states()).get(entity_id)
                available = state is not None and state["state"] != "unavailable"
                return entity_id if available else None

            return await wait_until(
                probe,
                within=within,
                what=f"notify entity of {title}",
                check=self.check,
            )

    async def remove_entry(self, entry_id: str) -> None:
        """Delete a config entry (as the UI's Delete does)."""
        await self.request("DELETE", f"/api/config/config_entries/entry/{entry_id}")

    @contextlib.asynccontextmanager
    async def websocket(self) -> AsyncIterator[HomeAssistantWebSocket]:
        """Open an authenticated websocket connection."""
        ws_url = f"{self.base_url.replace('http', 'ws', 1)}/api/websocket"
        async with self.session.ws_connect(ws_url) as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.token})
            auth = await ws.receive_json()
            if auth.get("type") != "auth_ok":
                msg = f"websocket auth failed: {auth}"
                raise DevToolsError(msg)
            async with HomeAssistantWebSocket(ws) as connection:
                yield connection


def _credentials(account: SimulatorAccount) -> JsonObject:
    """Return the user step's input: keys, and the API host in its section."""
    return {
        "api_key_id": account.api_key_id,
        "api_secret_key": account.api_secret_key,
        "advanced": {"base_url": account.base_url},
    }


def _expect_form(result: JsonObject, step_id: str) -> None:
    """Fail unless a flow shows the expected form."""
    if result.get("type") != "form" or result.get("step_id") != step_id:
        msg = f"expected the {step_id} form, got {result}"
        raise DevToolsError(msg)


class EventSubscription:
    """Events of one subscribe_events subscription, in the order fired."""

    def __init__(self, wait_s: float = 10.0) -> None:
        """Start with no events; next() waits at most wait_s for one."""
        self.queue: asyncio.Queue[JsonObject] = asyncio.Queue()
        self.wait_s = wait_s

    async def next(
        self, predicate: Callable[[JsonObject], bool] = lambda _: True
    ) -> JsonObject:
        """Return the next event matching predicate, dropping the others."""
        async with asyncio.timeout(self.wait_s):
            while True:
                event = await self.queue.get()
                if predicate(event):
                    return event

    def pending(self) -> list[JsonObject]:
        """Return (and take) the events received but not read yet."""
        events = []
        while not self.queue.empty():
            events.append(self.queue.get_nowait())
        return events


class HomeAssistantWebSocket:
    """Commands and event subscriptions on one websocket connection."""

    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, wait_s: float = 30.0
    ) -> None:
        """Wrap an authenticated connection; commands wait at most wait_s."""
        self._ws = ws
        self.wait_s = wait_s
        self._ids = itertools.count(1)
        self._results: dict[int, asyncio.Future[JsonObject]] = {}
        self._subscriptions: dict[int, EventSubscription] = {}
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        """Start reading messages."""
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop reading messages."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self) -> None:
        """Hand results to their callers and events to their subscriptions."""
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            # Home Assistant may coalesce several messages into one JSON array.
            for item in data if isinstance(data, list) else [data]:
                if item["type"] == "event" and item["id"] in self._subscriptions:
                    self._subscriptions[item["id"]].queue.put_nowait(item["event"])
                elif item["type"] == "result" and item["id"] in self._results:
                    self._results.pop(item["id"]).set_result(item)
        for future in self._results.values():
            future.set_exception(DevToolsError("websocket closed"))

    async def command(
        self,
        command_type: str,
        **fields: Any,  # noqa: ANN401 -- any command's fields
    ) -> Any:  # noqa: ANN401 -- any command's result
        """Send a command and return its result; fail on an error result."""
        return await self._send(next(self._ids), command_type, fields)

    async def _send(
        self, message_id: int, command_type: str, fields: JsonObject
    ) -> Any:  # noqa: ANN401 -- any command's result
        """Send one message and wait for its result."""
        future: asyncio.Future[JsonObject] = asyncio.get_running_loop().create_future()
        self._results[message_id] = future
        await self._ws.send_json({"id": message_id, "type": command_type, **fields})
        async with asyncio.timeout(self.wait_s):
            result = await future
        if not result.get("success"):
            msg = f"{command_type} failed: {result.get('error')}"
            raise DevToolsError(msg)
        return result.get("result")

    async def subscribe_events(self, event_type: str) -> EventSubscription:
        """Subscribe to one event type; events come in the returned subscription."""
        message_id = next(self._ids)
        # Registered before sending: an event may arrive right behind the result.
        subscription = self._subscriptions[message_id] = EventSubscription()
        await self._send(message_id, "subscribe_events", {"event_type": event_type})
        return subscription


# -- the demo's setup -----------------------------------------------------------------


async def configure_demo(
    ha: HomeAssistantClient,
    simulator: SimulatorClient,
    *,
    user: User = DEMO_USER,
    recipient: Recipient,
    within: float = 120.0,
) -> JsonObject:
    """Sign in; make sure one Sendblue entry with a recipient uses the simulator."""
    # Idempotent: a second run keeps the entry and only points it at the simulator.
    await simulator.wait_up(within)
    await ha.wait_up(within)
    await ha.sign_in(user)
    await ha.wait_running(within)
    account = SimulatorAccount(base_url=simulator.base_url)
    entries = await ha.entries()
    if entries:
        entry = entries[0]
        await ha.reconfigure_sendblue_entry(entry["entry_id"], account)
    else:
        entry = await ha.add_sendblue_entry(account)
    entry_id = entry["entry_id"]
    await ha.wait_entry_state(entry_id, "loaded", within)
    async with ha.websocket() as ws:
        subentries = await ws.command(
            "config_entries/subentries/list", entry_id=entry_id
        )
    if not any(sub["subentry_type"] == SUBENTRY_RECIPIENT for sub in subentries):
        await ha.add_recipient(entry_id, recipient)
        await ha.wait_recipient_entity(entry_id, recipient.name, within)
    return await ha.wait_entry_state(entry_id, "loaded", within)
