"""Home Assistant's REST API: onboarding, signing in, states, actions, config flows."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from .common import DevToolsError, JsonObject, wait_until
from .integration import DOMAIN, SUBENTRY_RECIPIENT, const
from .simulator import SimulatorAccount
from .websocket import HomeAssistantWebSocket

# Home Assistant's CONF_NAME: homeassistant.const would import Home Assistant.
CONF_NAME = "name"


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
    kind: str = const.RecipientKind.CONTACT


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

    async def _wait[T](
        self, probe: Callable[[], Awaitable[T | None]], within: float, what: str
    ) -> T:
        """Poll probe until it returns non-None, failing early if the process died."""
        return await wait_until(probe, within=within, what=what, check=self.check)

    async def wait_up(self, within: float = 60.0) -> None:
        """Wait until the HTTP server answers (before any sign-in)."""

        async def probe() -> bool:
            # Any answer will do: before onboarding most endpoints refuse politely.
            async with self.session.get(f"{self.base_url}/api/onboarding"):
                return True

        await self._wait(probe, within, "Home Assistant HTTP up")

    async def wait_running(self, within: float = 60.0) -> None:
        """Wait until Home Assistant reports it has finished starting."""

        async def probe() -> bool | None:
            config = await self.request("GET", "/api/config")
            return True if config.get("state") == "RUNNING" else None

        await self._wait(probe, within, "Home Assistant running")

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

        return await self._wait(probe, within, f"config entry {entry_id} {state}")

    async def add_sendblue_entry(self, account: SimulatorAccount) -> JsonObject:
        """Add Sendblue through the config flow, the simulator as its API host."""
        result = await self._submit_credentials(
            {"handler": DOMAIN, "show_advanced_options": False}, "user", account
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
        result = await self._submit_credentials(
            {"handler": DOMAIN, "entry_id": entry_id}, "reconfigure", account
        )
        if result.get("reason") != "reconfigure_successful":
            msg = f"reconfigure failed: {result}"
            raise DevToolsError(msg)

    async def _submit_credentials(
        self, start: JsonObject, step_id: str, account: SimulatorAccount
    ) -> JsonObject:
        """Start a config flow, expect its form, and submit the account's keys."""
        form = await self.request(
            "POST", "/api/config/config_entries/flow", json_body=start
        )
        _expect_form(form, step_id)
        result: JsonObject = await self.request(
            "POST",
            f"/api/config/config_entries/flow/{form['flow_id']}",
            json_body=_credentials(account),
        )
        return result

    async def set_options(self, entry_id: str, options: JsonObject) -> JsonObject:
        """Submit the options flow with these options over the defaults it shows.

        The entry reloads with them; wait for its state before using it.
        """
        form = await self.request(
            "POST",
            "/api/config/config_entries/options/flow",
            json_body={"handler": entry_id},
        )
        _expect_form(form, "init")
        defaults = {
            field["name"]: field["default"]
            for field in form["data_schema"]
            if "default" in field
        }
        result: JsonObject = await self.request(
            "POST",
            f"/api/config/config_entries/options/flow/{form['flow_id']}",
            json_body={**defaults, **options},
        )
        if result.get("type") != "create_entry":
            msg = f"options flow did not save the options: {result}"
            raise DevToolsError(msg)
        return result

    async def add_recipient(self, entry_id: str, recipient: Recipient) -> JsonObject:
        """Add a recipient through the subentry flow; return the flow's result."""
        form = await self.request(
            "POST",
            "/api/config/config_entries/subentries/flow",
            json_body={"handler": [entry_id, SUBENTRY_RECIPIENT]},
        )
        _expect_form(form, "user")
        data: JsonObject = {
            CONF_NAME: recipient.name,
            const.CONF_RECIPIENT_KIND: recipient.kind,
            const.CONF_RECIPIENT_TARGET: recipient.target,
        }
        if recipient.line:
            data[const.CONF_RECIPIENT_LINE] = recipient.line
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

            return await self._wait(probe, within, f"notify entity of {title}")

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
        const.CONF_API_KEY_ID: account.api_key_id,
        const.CONF_API_SECRET_KEY: account.api_secret_key,
        const.CONF_ADVANCED: {const.CONF_BASE_URL: account.base_url},
    }


def _expect_form(result: JsonObject, step_id: str) -> None:
    """Fail unless a flow shows the expected form."""
    if result.get("type") != "form" or result.get("step_id") != step_id:
        msg = f"expected the {step_id} form, got {result}"
        raise DevToolsError(msg)
