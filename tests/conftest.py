"""Fixtures shared by every Sendblue test."""

import inspect
import json
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import (
    AsyncMock,
    NonCallableMagicMock,
    PropertyMock,
    create_autospec,
    patch,
)

import pytest
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from pytest_homeassistant_custom_component.common import MockConfigEntry

# Imported at module level so that the hass fixture finds our integration first.
import custom_components.sendblue
from custom_components.sendblue.api import (
    Account,
    LinesState,
    LinesUsage,
    MessagesPage,
    SendblueClient,
    Webhooks,
)
from custom_components.sendblue.const import (
    CONF_ACCOUNT_EMAIL,
    CONF_API_KEY_ID,
    CONF_API_SECRET_KEY,
    CONF_BASE_URL,
    CONF_WEBHOOK_SECRET,
    DEFAULT_BASE_URL,
    DOMAIN,
)
from sendblue_simulator import ManualClock, Simulator, start_simulator

FIXTURES = Path(__file__).parent / "fixtures"

API_KEY_ID = "key-id-0123"
API_SECRET = "api-secret-do-not-leak-4567"
WEBHOOK_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
WEBHOOK_SECRET = "hook-secret-do-not-leak-89ab"
EXTERNAL_URL = "https://home.example.com"
WEBHOOK_URL = f"{EXTERNAL_URL}/api/webhook/{WEBHOOK_ID}"
LINE_1 = "+15122164639"
LINE_2 = "+16468528190"
CONTACT = "+19998887777"
EMAIL = "owner@example.com"


def load_json(name: str) -> Any:  # noqa: ANN401
    """Return a JSON fixture from tests/fixtures."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def enable_event_loop_debug() -> None:
    """Replace phacc's fixture: asyncio's debug mode only with --asyncio-debug.

    Debug mode records the stack, source lines included, of every future and task
    made: about 40 % of the in-process tests' time. CI's second run (scripts/test
    --newest) passes pytest-asyncio's --asyncio-debug, so debug mode's checks (loop
    calls from other threads, where an unawaited coroutine or unretrieved error
    came from) still cover every test.
    """


@pytest.fixture(autouse=True)
def fail_on_deprecated_usage(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Fail a test in which Home Assistant reports our use of a deprecated API.

    Home Assistant logs "Detected that custom integration 'sendblue' ..." for
    what stops working in a later release; here it fails the test at once.
    """
    yield
    reports = [
        record.getMessage()
        for phase in ("setup", "call", "teardown")
        for record in caplog.get_records(phase)
        if record.name == "homeassistant.helpers.frame"
        and f"'{DOMAIN}'" in record.getMessage()
    ]
    assert not reports, reports


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    enable_custom_integrations: None,
) -> None:
    """Let the hass fixture load integrations from custom_components."""


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities that are disabled by default as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """Return a Sendblue config entry as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=API_KEY_ID,
        version=1,
        minor_version=2,
        data={
            CONF_API_KEY_ID: API_KEY_ID,
            CONF_API_SECRET_KEY: API_SECRET,
            CONF_BASE_URL: DEFAULT_BASE_URL,
            CONF_ACCOUNT_EMAIL: EMAIL,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
            CONF_WEBHOOK_SECRET: WEBHOOK_SECRET,
        },
    )


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Keep config-flow tests from setting the entry up."""
    with patch(
        "custom_components.sendblue.async_setup_entry", return_value=True
    ) as mock:
        yield mock


class ClientMock(NonCallableMagicMock):
    """A SendblueClient mock whose methods are autospecced on first use.

    patch(autospec=True) builds a mock of every one of the client's 50-odd methods,
    for the class and again for its instance: about 50 ms in each test that sets
    the integration up, most of which touch a few. As with autospec, calls are
    checked against the method's signature and recorded in mock_calls.
    """

    def __init__(self) -> None:
        """Spec the mock as a client instance."""
        super().__init__(spec=SendblueClient)

    def _get_child_mock(self, /, **kwargs: Any) -> Any:  # noqa: ANN401
        """Return an autospec of the method named, or a plain child mock."""
        name = str(kwargs.get("_new_name"))
        method = inspect.getattr_static(SendblueClient, name, None)
        # Magic methods are MagicMock's own, as with create_autospec.
        if name.startswith("__") or not inspect.isfunction(method):
            return super()._get_child_mock(**kwargs)
        # Bound, so that the signature checked leaves self out, as on an instance.
        child = create_autospec(method.__get__(object()))
        # The parent's reset_mock passes arguments the function's own does not take.
        child.reset_mock = child.mock.reset_mock
        self.attach_mock(child, name)
        return child


@pytest.fixture
def mock_sendblue_client() -> Generator[AsyncMock]:
    """Return a mocked Sendblue client, patched where the integration builds it."""
    client = ClientMock()
    signature = inspect.signature(SendblueClient)

    def construct(*args: Any, **kwargs: Any) -> ClientMock:  # noqa: ANN401
        """Check the arguments as the class would, and return the client."""
        signature.bind(*args, **kwargs)
        return client

    with (
        patch(
            "custom_components.sendblue.SendblueClient", side_effect=construct
        ) as cls,
        patch("custom_components.sendblue.config_flow.SendblueClient", new=cls),
    ):
        client.get_account.return_value = Account.from_dict(load_json("account.json"))
        client.list_lines.return_value = load_json("lines.json")["numbers"]
        client.get_lines_state.return_value = LinesState.from_dict(
            load_json("lines_state.json")
        )
        client.get_lines_usage.return_value = LinesUsage.from_dict(
            load_json("lines_usage.json")
        )
        client.count_contacts.return_value = 42
        client.list_webhooks.return_value = Webhooks.from_dict(
            {"status": "OK", "webhooks": {}}
        )
        # The catch-up lists messages at setup: nothing was missed.
        client.list_messages.return_value = MessagesPage.from_dict(
            {"status": "OK", "data": []}
        )
        yield client


@pytest.fixture
async def external_url(hass: HomeAssistant) -> str:
    """Give Home Assistant an external URL Sendblue can call."""
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    return EXTERNAL_URL


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    external_url: str,
) -> MockConfigEntry:
    """Set the integration up with the mocked client."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
async def sendblue_simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """Run a Sendblue simulator on a free port; its time moves only on advance()."""
    async with start_simulator(clock=ManualClock(), seed=1234) as simulator:
        yield simulator


@pytest.fixture
def simulator(sendblue_simulator: Simulator) -> Simulator:
    """Return the simulator, accepting this suite's (easy to spot) credentials."""
    sendblue_simulator.config.api_key_id = API_KEY_ID
    sendblue_simulator.config.api_secret_key = API_SECRET
    return sendblue_simulator


# -- the integration against a simulator ----------------------------------------------


@dataclass
class Tuning:
    """The clients the integration created, and the retry waits they asked for."""

    clients: list[SendblueClient] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)


@contextmanager
def tune_clients(timeout: float) -> Iterator[Tuning]:
    """Make the integration's clients quick to fail: a short timeout, no waits.

    No per-line pacing either (keep the simulator's rate limit off); the retry
    waits are recorded instead of slept.
    """
    tuning = Tuning()
    create_client = custom_components.sendblue.create_client

    async def record_wait(seconds: float) -> None:
        """Record a retry wait instead of sleeping it."""
        tuning.waits.append(seconds)

    def tuned_client(hass: HomeAssistant, data: MockConfigEntry) -> SendblueClient:
        """Create the client as the integration does, then tune it."""
        client = create_client(hass, data)
        client.request_timeout = timeout
        client.pace_sends = False
        client._sleep = record_wait
        tuning.clients.append(client)
        return client

    with patch("custom_components.sendblue.create_client", tuned_client):
        yield tuning


def simulator_entry(
    simulator: Simulator,
    **options: Any,  # noqa: ANN401
) -> MockConfigEntry:
    """Return a config entry pointing at the simulator."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=API_KEY_ID,
        data={
            CONF_API_KEY_ID: API_KEY_ID,
            CONF_API_SECRET_KEY: API_SECRET,
            CONF_BASE_URL: simulator.base_url,
            CONF_ACCOUNT_EMAIL: EMAIL,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
            CONF_WEBHOOK_SECRET: WEBHOOK_SECRET,
        },
        options=options,
    )


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry and set it up (it may end in a retry state)."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
