"""Faults through the simulator, with the real client over loopback (no mocks).

The integration talks to the in-process simulator with Home Assistant's own aiohttp
session. The clients it creates are tuned for speed only: a 3 s request timeout
(so a "delay" fault elapses quickly), no per-line pacing (the simulator's rate limit
is off here; the benchmark measures pacing), and retry waits that are recorded
instead of slept. Home Assistant's time moves with async_fire_time_changed; the only
real waiting is for timeout faults to elapse, and the simulator's answers to them are
awaited through its request log (see Answers), not polled.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from unittest.mock import patch

import pytest
from aiohttp import web
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sendblue.const import (
    CONF_BASE_URL,
    CONF_POLLING_INTERVAL,
    CONF_RECEIVE_MODE,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
    WEBHOOK_LINES_SCAN_INTERVAL,
    ReceiveMode,
)
from sendblue_simulator import Simulator
from sendblue_simulator import app as simulator_app

from .conftest import (
    API_KEY_ID,
    API_SECRET,
    EMAIL,
    WEBHOOK_ID,
    WEBHOOK_SECRET,
    Tuning,
    set_up,
    simulator_entry,
    tune_clients,
)

TRANSLATIONS = json.loads(
    (
        Path(__file__).parents[1] / "custom_components/sendblue/translations/en.json"
    ).read_text(encoding="utf-8")
)["exceptions"]
# The tuned clients' request timeout, in seconds: long enough that a loaded
# machine never turns an answer (or a reset) into a timeout, with at most
# CONCURRENT_CALLS calls (about 100 requests) in flight.
TIMEOUT = 3.0
# A "delay" fault answers after this, well inside teardown's wait. Past TIMEOUT is
# enough: client and simulator share one event loop, whose timers fire in the order
# they fall due, so the client always gives up first.
DELAY_MS = 3500
# Calls of the drill in flight at once, so the waits of "delay" faults overlap: the
# five fan-outs (100 requests) and 11 sends alone.
CONCURRENT_CALLS = 16
# Where one request at a time meets a fault, a shorter timeout keeps the test quick.
QUICK_TIMEOUT = 0.5
QUICK_DELAY_MS = 1000
SEND_PATH = "/api/send-message"
RECIPIENTS = [f"+1555010{n:04d}" for n in range(200)]
# Each fault kind answers 6 % of the sends: 30 % in all. Rules are tried in order, so
# each takes its share of what the earlier ones left.
FAULT_SHARE = 0.06
FAULT_KINDS = ("rate_limit", "server_error", "unavailable", "delay", "reset")
# What the user must be told for the fault that ended a send.
ERROR_FOR_FAULT = {
    "rate_limit": "rate_limited",
    "server_error": "server_error",
    "unavailable": "server_error",
    "delay": "timeout_error",
    "reset": "connection_error",
}


# -- fixtures and helpers -------------------------------------------------------------


@pytest.fixture
def tuning() -> Iterator[Tuning]:
    """Make the integration's clients quick to fail and to retry."""
    with tune_clients(TIMEOUT) as tuning:
        yield tuning


@pytest.fixture
def quick_tuning() -> Iterator[Tuning]:
    """Tune the clients as `tuning` does, with a shorter timeout."""
    with tune_clients(QUICK_TIMEOUT) as tuning:
        yield tuning


async def elapse(hass: HomeAssistant, delta: timedelta) -> None:
    """Run what falls due within delta of Home Assistant's time, as if it passed."""
    async_fire_time_changed(hass, dt_util.utcnow() + delta)
    # Coordinator refreshes and entry setup retries run as background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)


class _LogEntry(dict[str, Any]):
    """A request of the simulator's log that sets an event when it is answered."""

    def __init__(self, answered: asyncio.Event, fields: dict[str, Any]) -> None:
        """Hold the entry's fields; answered is set when its status is."""
        super().__init__(fields)
        self._answered = answered

    def __setitem__(self, key: str, value: Any) -> None:  # noqa: ANN401
        """Store the field; the status is what the simulator sets once it answered."""
        super().__setitem__(key, value)
        if key == "status":
            self._answered.set()


@dataclass
class Answers:
    """Wakes a waiter each time the simulator answers a request."""

    simulator: Simulator
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    async def all_answered(self, within: float = 5.0) -> None:
        """Wait (real time) until every logged request has its answer."""
        # Late answers of "delay" faults come after the client gave up on them.
        async with asyncio.timeout(within):
            while True:
                # Cleared before looking, so an answer in between still wakes us.
                self.answered.clear()
                requests = self.simulator.control.requests()
                if all(request["status"] is not None for request in requests):
                    return
                await self.answered.wait()


@pytest.fixture
def answers(simulator: Simulator) -> Iterator[Answers]:
    """Make the simulator's request log tell when a request is answered."""
    watch = Answers(simulator)
    log_entry = simulator_app._log_entry

    async def observed(request: web.Request) -> dict[str, Any]:
        return _LogEntry(watch.answered, await log_entry(request))

    # The log middleware sets the status on the entry _log_entry made for it.
    with patch.object(simulator_app, "_log_entry", observed):
        yield watch


def rendered(key: str, placeholders: dict[str, str] | None) -> str:
    """Return the English message of a translation key as Home Assistant shows it."""
    message = str(TRANSLATIONS[key]["message"]).format(**(placeholders or {}))
    # Home Assistant drops the final full stop of exception messages.
    return message.rstrip(".")


def assert_translated(err: HomeAssistantError) -> None:
    """Check that an error is one of ours, translated, with its placeholders filled."""
    key = err.translation_key
    assert err.translation_domain == DOMAIN, repr(err)
    assert key is not None, repr(err)
    assert key in TRANSLATIONS, repr(err)
    assert str(err) == rendered(key, err.translation_placeholders)


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state, which must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def state_of_entry(entry: MockConfigEntry) -> ConfigEntryState:
    """Return an entry's state (a call, so type checkers do not pin it)."""
    state: ConfigEntryState = entry.state
    return state


def line_entities(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """Return the entity ids of the lines' entities that have a state."""
    registry = er.async_get(hass)
    return [
        item.entity_id
        for item in er.async_entries_for_config_entry(registry, entry.entry_id)
        if "_line_" in item.unique_id and hass.states.get(item.entity_id)
    ]


def logged(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    """Return the records whose message contains text."""
    return [record for record in caplog.records if text in record.getMessage()]


def assert_no_secrets(caplog: pytest.LogCaptureFixture, *texts: str) -> None:
    """Check that neither secret is in the log (tracebacks included) or in texts."""
    for secret in (API_SECRET, WEBHOOK_SECRET):
        leaks = [
            f"{record.name}: {record.getMessage()[:200]}"
            for record in caplog.records
            if secret in record.getMessage()
        ]
        assert not leaks, leaks
        assert secret not in caplog.text, "a secret is in a logged traceback"
        assert not [text[:200] for text in texts if secret in text]


def add_fault_mix(simulator: Simulator, delay_ms: int = DELAY_MS) -> None:
    """Fault 30 % of sends, 6 % with each kind of fault."""
    left = 1.0
    for kind in FAULT_KINDS:
        simulator.control.add_fault(
            kind,
            probability=FAULT_SHARE / left,
            path_prefix=SEND_PATH,
            retry_after=1,
            delay_ms=delay_ms,
        )
        left -= FAULT_SHARE


def free_port() -> int:
    """Return a loopback port nothing listens on (just released by the kernel)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- sends under faults ---------------------------------------------------------------


@dataclass
class Told:
    """What the actions told the user, per recipient."""

    errors: dict[str, str | None] = field(default_factory=dict)  # None: sent
    handles: dict[str, str] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)


async def send_all(hass: HomeAssistant, calls: list[list[str]]) -> Told:
    """Call sendblue.send_message for each list of recipients; collect the answers.

    Up to CONCURRENT_CALLS calls run at once, so the timeouts of the "delay"
    faults overlap while no answer waits long for the CPU.
    """
    told = Told()
    slots = asyncio.Semaphore(CONCURRENT_CALLS)

    async def send(to: list[str]) -> ServiceResponse:
        async with slots:
            return await hass.services.async_call(
                DOMAIN,
                "send_message",
                # Without the outbox: what the client alone tells the user.
                {"to": to, "message": "Fault drill", "retry_for": 0},
                blocking=True,
                return_response=True,
            )

    answers = await asyncio.gather(*(send(to) for to in calls), return_exceptions=True)
    for to, response in zip(calls, answers, strict=True):
        if isinstance(response, HomeAssistantError):
            assert_translated(response)
            told.texts.append(str(response))
            told.errors.update(dict.fromkeys(to, response.translation_key))
            continue
        assert isinstance(response, dict), response
        results = cast("list[dict[str, Any]]", response["messages"])
        assert [result["to"] for result in results] == to
        # Only when every recipient failed is the error raised instead.
        assert any("error" not in result for result in results), results
        for result in results:
            told.texts.append(json.dumps(result))
            if "error" not in result:
                told.errors[result["to"]] = None
                told.handles[result["to"]] = result["message_handle"]
                continue
            assert result["error_key"] in TRANSLATIONS, result
            assert isinstance(result["error"], str), result
            assert result["error"], result
            if result["error_key"] == "rate_limited":
                assert result["retry_after"] is not None, result
            told.errors[result["to"]] = result["error_key"]
    return told


async def test_sends_under_faults(
    hass: HomeAssistant,
    simulator: Simulator,
    tuning: Tuning,
    answers: Answers,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """200 sends with 30 % faults: nothing twice, every failure told and translated."""
    entry = simulator_entry(simulator)
    await set_up(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    simulator.control.set_rate_limits(enabled=False)
    add_fault_mix(simulator)

    # 5 fan-outs of 20 (failures are reported per recipient) and 100 sends alone (a
    # lone failure is raised); the fan-outs first, so that their waits overlap the
    # sends alone.
    told = await send_all(
        hass,
        [RECIPIENTS[start : start + 20] for start in range(100, 200, 20)]
        + [[number] for number in RECIPIENTS[:100]],
    )
    # Late answers to timed-out sends finish in the simulator before it is judged.
    await answers.all_answered()

    attempts: defaultdict[str, list[str | None]] = defaultdict(list)
    for request in simulator.control.requests():
        if request["path"] == SEND_PATH:
            attempts[request["json"]["number"]].append(request["fault"])
    sent = simulator.control.messages(outbound=True)
    stored = Counter(message["number"] for message in sent)
    recipient_of = {message["message_handle"]: message["number"] for message in sent}
    assert set(told.errors) == set(RECIPIENTS)
    assert max(stored.values()) == 1, "a recipient got a message twice"
    for number in RECIPIENTS:
        faults = attempts[number]
        # A POST is retried only after a 429: never after a timeout, 5xx or reset.
        assert all(fault == "rate_limit" for fault in faults[:-1]), (number, faults)
        assert len(faults) <= 3, (number, faults)  # max_retries is 2
        if (last := faults[-1]) is None:
            assert told.errors[number] is None, (number, faults)
            assert recipient_of[told.handles[number]] == number
        else:
            assert told.errors[number] == ERROR_FOR_FAULT[last], (number, faults)
            # Only a send that timed out may still have gone out (at most once).
            assert stored[number] == (1 if last == "delay" else 0), (number, faults)
    # The drill hit every kind of fault, and each retried 429 waited Retry-After.
    hits = Counter(fault for faults in attempts.values() for fault in faults)
    assert all(hits[kind] for kind in FAULT_KINDS), hits
    given_up = sum(faults[-1] == "rate_limit" for faults in attempts.values())
    assert tuning.waits == [1.0] * (hits["rate_limit"] - given_up)
    assert 0.25 < sum(stored.values()) / len(RECIPIENTS) < 0.9
    assert_no_secrets(caplog, *told.texts)


# -- lines unavailable and back -------------------------------------------------------


async def test_lines_unavailable_and_back(
    hass: HomeAssistant,
    simulator: Simulator,
    tuning: Tuning,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing refresh makes line entities unavailable, logged once, and back."""
    entry = simulator_entry(simulator)
    await set_up(hass, entry)
    entities = line_entities(hass, entry)
    assert len(entities) >= 2 * len(simulator.lines)
    assert all(state_of(hass, e) != STATE_UNAVAILABLE for e in entities)

    simulator.control.add_fault(
        "unavailable", probability=1.0, path_prefix="/api/lines"
    )
    for _ in range(3):
        await elapse(hass, WEBHOOK_LINES_SCAN_INTERVAL)
        assert all(state_of(hass, e) == STATE_UNAVAILABLE for e in entities)
    failures = logged(caplog, "Error fetching")
    assert len(failures) == 1
    # Told in the user's words (the translation), not as an exception dump.
    assert rendered("server_error", {"error": "Service unavailable"}) in (
        failures[0].getMessage()
    )
    assert failures[0].exc_info is None

    simulator.control.clear_faults()
    for _ in range(2):
        await elapse(hass, WEBHOOK_LINES_SCAN_INTERVAL)
        assert all(state_of(hass, e) != STATE_UNAVAILABLE for e in entities)
    assert len(logged(caplog, "recovered")) == 1
    assert len(logged(caplog, "Error fetching")) == 1
    assert_no_secrets(caplog)


# -- Sendblue offline at start --------------------------------------------------------


@pytest.mark.parametrize(
    ("outage", "key"),
    [
        ("port_closed", "connection_error"),
        ("unavailable", "server_error"),
        ("delay", "timeout_error"),
    ],
)
async def test_offline_at_start_then_back(
    hass: HomeAssistant,
    simulator: Simulator,
    quick_tuning: Tuning,
    answers: Answers,
    caplog: pytest.LogCaptureFixture,
    outage: str,
    key: str,
) -> None:
    """Sendblue down at start: retry with a translated reason, then load by itself."""
    entry = simulator_entry(simulator)
    if outage == "port_closed":
        # The entry points at a port nothing listens on; Sendblue "comes back" when
        # the simulator starts listening there.
        port = free_port()
        await simulator.stop()
        simulator.config.port = port
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=EMAIL,
            unique_id=API_KEY_ID,
            data={**entry.data, CONF_BASE_URL: f"http://127.0.0.1:{port}"},
        )
    else:
        simulator.control.add_fault(outage, probability=1.0, delay_ms=QUICK_DELAY_MS)

    await set_up(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == key
    assert entry.reason == rendered(key, entry.error_reason_translation_placeholders)
    assert logged(caplog, entry.reason), "the reason is in the retry warning"

    if outage == "port_closed":
        await simulator.start()
    else:
        simulator.control.clear_faults()
        # Let the answers that the timed-out attempts left behind finish first.
        await answers.all_answered()
    await elapse(hass, timedelta(minutes=2))
    assert state_of_entry(entry) is ConfigEntryState.LOADED
    assert all(
        state_of(hass, e) != STATE_UNAVAILABLE for e in line_entities(hass, entry)
    )
    assert_no_secrets(caplog)


# -- credentials revoked --------------------------------------------------------------


@pytest.mark.parametrize("mode", [ReceiveMode.WEBHOOK, ReceiveMode.POLLING])
async def test_revoked_credentials_start_one_reauth(
    hass: HomeAssistant,
    simulator: Simulator,
    tuning: Tuning,
    caplog: pytest.LogCaptureFixture,
    mode: ReceiveMode,
) -> None:
    """Revoked credentials: one reauth flow, no request loop, no log loop."""
    entry = simulator_entry(
        simulator, **{CONF_RECEIVE_MODE: mode, CONF_POLLING_INTERVAL: 60}
    )
    await set_up(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    simulator.config.api_secret_key = "revoked-by-the-account-owner"

    # A send while revoked is told, translated, and asks for the secret too.
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"to": [RECIPIENTS[0]], "message": "hi"},
            blocking=True,
            return_response=True,
        )
    assert raised.value.translation_key == "authentication_error"
    assert_translated(raised.value)

    # An hour for every periodic task to meet the 401 at least once.
    for _ in range(12):
        await elapse(hass, WEBHOOK_LINES_SCAN_INTERVAL)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert all(
        state_of(hass, e) == STATE_UNAVAILABLE for e in line_entities(hass, entry)
    )

    # Once told, nothing keeps knocking with the revoked key.
    before = len(simulator.control.requests())
    for _ in range(12):
        await elapse(hass, WEBHOOK_LINES_SCAN_INTERVAL)
    knocking = [
        f"{r['method']} {r['path']}" for r in simulator.control.requests()[before:]
    ]
    assert knocking == [], (
        f"{len(knocking)} requests with a revoked key: {knocking[:5]}"
    )
    assert len(hass.config_entries.flow.async_progress_by_handler(DOMAIN)) == 1
    ours = Counter(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.sendblue")
        and record.levelno >= logging.WARNING
    )
    assert all(times == 1 for times in ours.values()), ours
    assert_no_secrets(caplog)


# -- secrets --------------------------------------------------------------------------


async def serve_on_loopback(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> str:
    """Serve Home Assistant's HTTP API on loopback and make it the external URL."""
    client = await hass_client_no_auth()
    url = str(client.make_url("")).rstrip("/")
    await async_process_ha_core_config(hass, {"external_url": url})
    return url


async def test_secrets_never_logged(
    hass: HomeAssistant,
    simulator: Simulator,
    tuning: Tuning,
    hass_client_no_auth: ClientSessionGenerator,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Secrets stay out of DEBUG logs, action answers and diagnostics, under faults."""
    caplog.set_level(logging.DEBUG)
    entry = simulator_entry(simulator)
    await set_up(hass, entry)
    assert await async_setup_component(hass, "diagnostics", {})
    # The HTTP server starts once everything registered its views (it freezes them);
    # the reload then registers the webhook with Sendblue, secret included.
    url = await serve_on_loopback(hass, hass_client_no_auth)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert url in json.dumps(simulator.control.webhooks()["receive"])
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    status = async_capture_events(hass, EVENT_MESSAGE_STATUS)

    simulator.control.set_rate_limits(enabled=False)
    # Held answers are given up on soon: how long they take is not what this is about.
    entry.runtime_data.client.request_timeout = QUICK_TIMEOUT
    add_fault_mix(simulator, delay_ms=QUICK_DELAY_MS)
    texts: list[str] = []
    for to in (RECIPIENTS[:20], RECIPIENTS[20:21], RECIPIENTS[21:22]):
        try:
            response = await hass.services.async_call(
                DOMAIN,
                "send_message",
                {"to": to, "message": "Secret drill"},
                blocking=True,
                return_response=True,
            )
        except HomeAssistantError as err:
            texts.append(str(err))
        else:
            texts.append(json.dumps(response))
    simulator.control.clear_faults()
    simulator.control.inject_inbound(from_number="+15550001234", content="hello")
    # Delivered once idle: the simulator waits for Home Assistant's answer to each.
    await simulator.control.run_until_idle()
    await hass.async_block_till_done()
    assert received
    assert status

    # A refresh that fails on credentials, with the secret in every request.
    simulator.config.api_secret_key = "revoked"
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    texts.append(json.dumps(diagnostics))
    assert WEBHOOK_ID not in texts[-1]
    assert any(r.name.startswith("aiohttp") for r in caplog.records)
    assert any(r.name.startswith("custom_components.sendblue") for r in caplog.records)
    assert_no_secrets(caplog, *texts)
