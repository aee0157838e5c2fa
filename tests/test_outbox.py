"""The outbox against the simulator's faults and outages, counted at the simulator.

Home Assistant, the simulator (a real-clock one) and the event loop share one
clock here: freezegun's, ticking with real time so that request timeouts elapse,
and jumped forward for backoffs with freezer.tick and async_fire_time_changed.
Nothing waits for the outbox but async_block_till_done.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, cast
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.sendblue.api import SendblueClient
from custom_components.sendblue.const import (
    CONF_RECEIVE_MODE,
    CONF_RETRY_FOR,
    DOMAIN,
    EVENT_OUTBOX,
    ReceiveMode,
)
from custom_components.sendblue.outbox import SETTLE
from sendblue_simulator import RealClock, Simulator, start_simulator

from .conftest import (
    API_KEY_ID,
    API_SECRET,
    Tuning,
    set_up,
    simulator_entry,
    tune_clients,
)

pytestmark = pytest.mark.freeze_time("2026-01-01T12:00:00+00:00", tick=True)

# Where a test makes Sendblue hold its answer: short enough to wait for, long
# enough for a loaded machine's answers. Elsewhere the client's own 10 s.
QUICK_TIMEOUT = 0.5
TIMEOUT = 10.0
SEND_PATH = "/api/send-message"
GROUP_PATH = "/api/send-group-message"
LIST_PATH = "/api/v2/messages"
RECIPIENTS = [f"+1555020{n:04d}" for n in range(200)]
ALERT = "+15550301000"
OTHER = "+15550301002"
KEEP = "02:00:00"
# Each rule answers 5 % of the sends, 30 % in all (each takes its share of what the
# earlier ones left). "after" faults come once Sendblue stored the message: the
# caller cannot tell those from the ones before. A delay before the handler is
# left out: a message Sendblue stores long after the caller gave up (later than
# SETTLE) is the one case that looking before sending again cannot cover.
FAULTS: list[dict[str, Any]] = [
    {"kind": "rate_limit"},
    {"kind": "server_error"},
    {"kind": "unavailable", "after": True},
    {"kind": "reset"},
    {"kind": "reset", "after": True},
    # Held for an hour of the shared clock: the caller times out first.
    {"kind": "delay", "after": True, "delay_ms": 3_600_000},
]
FAULT_SHARE = 0.05
SINGLES_AT_ONCE = 4


@pytest.fixture
async def live(
    freezer: FrozenDateTimeFactory, socket_enabled: None
) -> AsyncIterator[Simulator]:
    """Run a simulator on the frozen clock (made after it, so that it reads it)."""
    async with start_simulator(clock=RealClock(), seed=4321) as simulator:
        simulator.config.api_key_id = API_KEY_ID
        simulator.config.api_secret_key = API_SECRET
        # Pacing is off in the tuned clients: the simulator must not count.
        simulator.control.set_rate_limits(enabled=False)
        yield simulator


@pytest.fixture
def tuning() -> Iterator[Tuning]:
    """Make the integration's clients retry without waiting, and not pace."""
    with tune_clients(TIMEOUT) as tuning:
        yield tuning


@pytest.fixture
async def entry(
    hass: HomeAssistant, live: Simulator, tuning: Tuning
) -> MockConfigEntry:
    """Set up an entry that only sends, on the simulator, with the tuned clients."""
    entry = sending_entry(live)
    await set_up(hass, entry)
    return entry


@pytest.fixture
def quick(entry: MockConfigEntry) -> None:
    """Make the entry's client also give up soon on an answer Sendblue holds back."""
    entry.runtime_data.client.request_timeout = QUICK_TIMEOUT


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    """Capture the sendblue_outbox events."""
    return async_capture_events(hass, EVENT_OUTBOX)


@contextmanager
def storing(simulator: Simulator) -> Iterator[asyncio.Event]:
    """Return an event the simulator sets when it stores an outbound message."""
    stored = asyncio.Event()
    create_outbound = simulator.state.create_outbound

    def observed(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        stored.set()
        return create_outbound(*args, **kwargs)

    with patch.object(simulator.state, "create_outbound", observed):
        yield stored


async def go_down(simulator: Simulator, entry: MockConfigEntry) -> None:
    """Refuse connections, and make the client notice before the test sends.

    The poll fails, and takes the connections Sendblue cut out of the pool:
    the next send is refused (provably not sent), not reset on a dead one.
    """
    await simulator.stop_listening()
    await entry.runtime_data.coordinator.async_refresh()


async def elapse(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Move the shared clock forward and let everything that fell due run."""
    freezer.tick(seconds)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def send(
    hass: HomeAssistant,
    to: list[str],
    message: str,
    **fields: Any,  # noqa: ANN401
) -> list[dict[str, Any]]:
    """Call sendblue.send_message and return its per-recipient results."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"to": to, "message": message, **fields},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return cast("list[dict[str, Any]]", response["messages"])


def sending_entry(simulator: Simulator, **options: Any) -> MockConfigEntry:  # noqa: ANN401
    """Return an entry on the simulator that only sends (no webhook to register)."""
    return simulator_entry(simulator, **{CONF_RECEIVE_MODE: ReceiveMode.OFF, **options})


async def group_send(hass: HomeAssistant, data: dict[str, Any]) -> dict[str, Any]:
    """Call sendblue.send_group_message and return its result."""
    response = await hass.services.async_call(
        DOMAIN, "send_group_message", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def queued_count(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the state of the entry's queued-messages sensor."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_queued"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def delivered(simulator: Simulator) -> Counter[str]:
    """Count the one-to-one messages the simulator stored, per recipient."""
    return Counter(
        m["number"]
        for m in simulator.control.messages(outbound=True)
        if m["message_type"] == "message"
    )


def posts(simulator: Simulator) -> list[dict[str, Any]]:
    """Return the send requests in the simulator's log."""
    return [r for r in simulator.control.requests() if r["path"] == SEND_PATH]


async def drain(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    *,
    step: float,
    within: float,
) -> float:
    """Move time on in steps until the outbox is empty; return the time it took."""
    waited = 0.0
    while entry.runtime_data.outbox.queued and waited < within:
        await elapse(hass, freezer, step)
        waited += step
    assert entry.runtime_data.outbox.queued == 0, (
        entry.runtime_data.outbox.diagnostics()
    )
    return waited


def outcomes(events: list[Event]) -> dict[str, list[dict[str, Any]]]:
    """Group the sendblue_outbox events by outbox id."""
    by_id: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_id[event.data["outbox_id"]].append(dict(event.data))
    return by_id


# -- a fault mix --------------------------------------------------------------------


async def test_fault_mix_delivers_each_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    entry: MockConfigEntry,
    quick: None,
    events: list[Event],
) -> None:
    """200 sends with 30 % faults and retry_for set: 200 delivered, each once."""
    left = 1.0
    for fault in FAULTS:
        live.control.add_fault(
            probability=FAULT_SHARE / left, path_prefix=SEND_PATH, **fault
        )
        left -= FAULT_SHARE

    # 100 sends alone and 5 fan-outs of 20; the answer comes at once either way. The
    # sends alone go SINGLES_AT_ONCE at a time, so that the waits of held answers
    # overlap; no more requests are in flight than in a fan-out.
    slots = asyncio.Semaphore(SINGLES_AT_ONCE)

    async def send_alone(number: str) -> list[dict[str, Any]]:
        async with slots:
            return await send(hass, [number], "Fault drill", retry_for=KEEP)

    results = [
        result
        for answer in await asyncio.gather(*map(send_alone, RECIPIENTS[:100]))
        for result in answer
    ]
    for start in range(100, 200, 20):
        to = RECIPIENTS[start : start + 20]
        results += await send(hass, to, "Fault drill", retry_for=KEEP)
    assert [r["to"] for r in results] == RECIPIENTS
    queued = {r["to"]: r["outbox_id"] for r in results if r["status"] == "queued"}
    assert all("error" not in r for r in results), results
    assert queued_count(hass, entry) == str(len(queued))

    await drain(hass, freezer, entry, step=30, within=3600)

    assert delivered(live) == Counter(RECIPIENTS), "not each exactly once"
    handle_of = {
        m["number"]: m["message_handle"] for m in live.control.messages(outbound=True)
    }
    by_id = outcomes(events)
    assert set(by_id) == set(queued.values())
    for number, outbox_id in queued.items():
        [outcome] = by_id[outbox_id]
        assert outcome["status"] == "sent", outcome
        assert outcome["to"] == number
        assert outcome["message_handle"] == handle_of[number]
    # Never a send after one Sendblue took: those were found instead.
    found = 0
    accepted: set[str] = set()
    for request in posts(live):
        number = request["json"]["number"]
        assert number not in accepted, f"{number} was sent again after Sendblue took it"
        if request["fault"] is None or request.get("handled_status") == 200:
            accepted.add(number)
            found += request["fault"] is not None
    hits = Counter(r["fault"] for r in posts(live) if r["fault"])
    assert set(hits) == {f["kind"] for f in FAULTS}, hits
    assert found, "no message that Sendblue took before failing was found"
    assert queued_count(hass, entry) == "0"
    assert not ir.async_get(hass).issues, "nothing expired"


# -- an outage ----------------------------------------------------------------------


async def test_outage_then_back_delivers_in_order(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    entry: MockConfigEntry,
    events: list[Event],
) -> None:
    """Sendblue refuses connections for 2 minutes: every alert goes once, in order."""
    await go_down(live, entry)

    alerts = [
        ([ALERT], "Smoke in the kitchen"),
        ([ALERT, OTHER], "Water under the sink"),
        ([ALERT], "Front door open"),
        ([OTHER], "Front door closed"),
    ]
    for to, text in alerts:
        results = await send(hass, to, text)
        assert [r["status"] for r in results] == ["queued"] * len(to)
        await elapse(hass, freezer, 10)
    assert queued_count(hass, entry) == "5"
    assert entry.runtime_data.outbox.diagnostics()["unreachable"]
    for _ in range(80):
        await elapse(hass, freezer, 1)
    assert delivered(live) == Counter()
    # One message probes; the others wait for it instead of knocking too.
    attempts = [item.attempts for item in entry.runtime_data.outbox._items]
    assert attempts[0] > 10
    assert attempts[1:] == [0] * 4

    await live.start_listening()
    waited = await drain(hass, freezer, entry, step=1, within=10)

    assert waited <= 3, "the outbox noticed Sendblue was back too late"
    stored = live.control.messages(outbound=True)
    order: defaultdict[str, list[str]] = defaultdict(list)
    for message in sorted(stored, key=lambda m: m["date_sent"]):
        order[message["number"]].append(message["content"])
    assert order == {
        ALERT: ["Smoke in the kitchen", "Water under the sink", "Front door open"],
        OTHER: ["Water under the sink", "Front door closed"],
    }
    assert Counter(e.data["status"] for e in events) == {"sent": 5}
    assert queued_count(hass, entry) == "0"
    assert not entry.runtime_data.outbox.diagnostics()["unreachable"]


# -- never twice --------------------------------------------------------------------


async def test_ambiguous_timeout_not_sent_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    entry: MockConfigEntry,
    quick: None,
    events: list[Event],
) -> None:
    """The send timed out after Sendblue took it: found, counted sent, not resent."""
    live.control.add_fault(
        "delay", count=1, after=True, delay_ms=3_600_000, path_prefix=SEND_PATH
    )

    [result] = await send(hass, [ALERT], "Garage left open", retry_for="00:10:00")
    assert result["status"] == "queued"
    [message] = live.control.messages(outbound=True)

    # Not looked for while Sendblue may still be working on it.
    await elapse(hass, freezer, SETTLE.total_seconds() / 2)
    assert not [r for r in live.control.requests() if r["path"] == LIST_PATH]
    await drain(hass, freezer, entry, step=SETTLE.total_seconds(), within=120)

    assert len(posts(live)) == 1
    assert delivered(live) == Counter({ALERT: 1})
    [event] = events
    assert event.data == {
        "config_entry_id": entry.entry_id,
        "outbox_id": result["outbox_id"],
        "to": ALERT,
        "line": live.lines[0],
        "status": "sent",
        "message_handle": message["message_handle"],
        "error": None,
    }


async def test_identical_alerts_each_need_their_own(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    entry: MockConfigEntry,
    events: list[Event],
) -> None:
    """Two identical alerts: the one Sendblue has counts for the first only."""
    # The first is taken, then answered 503; the second is refused with a 500.
    live.control.add_fault("unavailable", count=1, after=True, path_prefix=SEND_PATH)
    live.control.add_fault("server_error", count=1, path_prefix=SEND_PATH)

    first, second = (await send(hass, [ALERT], "Door open"))[0], None
    second = (await send(hass, [ALERT], "Door open"))[0]
    assert first["status"] == second["status"] == "queued"
    await drain(hass, freezer, entry, step=SETTLE.total_seconds(), within=600)

    stored = live.control.messages(outbound=True)
    assert [m["content"] for m in stored] == ["Door open", "Door open"]
    by_id = outcomes(events)
    assert [e["message_handle"] for e in by_id[first["outbox_id"]]] == [
        stored[0]["message_handle"]
    ]
    assert [e["message_handle"] for e in by_id[second["outbox_id"]]] == [
        stored[1]["message_handle"]
    ]


async def test_reload_picks_up_where_it_was(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    tuning: Tuning,
    events: list[Event],
) -> None:
    """A reload with a queued message (one Sendblue took): delivered after, once."""
    entry = sending_entry(live, **{CONF_RETRY_FOR: {"minutes": 30}})
    await set_up(hass, entry)
    live.control.add_fault("unavailable", count=1, after=True, path_prefix=SEND_PATH)
    live.control.add_fault("unavailable", count=1, path_prefix=SEND_PATH)
    taken = (await send(hass, [ALERT], "Taken before the reload"))[0]
    refused = (await send(hass, [OTHER], "Refused before the reload"))[0]
    assert taken["status"] == refused["status"] == "queued"

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.outbox.queued == 2
    await drain(hass, freezer, entry, step=SETTLE.total_seconds(), within=300)

    assert delivered(live) == Counter({ALERT: 1, OTHER: 1})
    assert [r["json"]["number"] for r in posts(live)] == [ALERT, OTHER, OTHER]
    assert {e.data["outbox_id"]: e.data["status"] for e in events} == {
        taken["outbox_id"]: "sent",
        refused["outbox_id"]: "sent",
    }


async def test_attempt_cut_short_by_a_reload_is_looked_for(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, live: Simulator
) -> None:
    """Unloaded while a retry waits for Sendblue's answer: found after, not resent."""
    # Sendblue's answer never comes in time here: the reload cuts the retry short.
    with tune_clients(timeout=600), storing(live) as stored:
        entry = sending_entry(live)
        await set_up(hass, entry)
        events = async_capture_events(hass, EVENT_OUTBOX)
        # Refused first (provably not sent), then taken and not answered.
        live.control.add_fault(
            "rate_limit", count=3, retry_after=5, path_prefix=SEND_PATH
        )
        live.control.add_fault(
            "delay", count=1, after=True, delay_ms=3_600_000, path_prefix=SEND_PATH
        )
        [result] = await send(hass, [ALERT], "Basement flooding")
        assert result["status"] == "queued"
        assert not entry.runtime_data.outbox._items[0].ambiguous
        freezer.tick(6)
        async_fire_time_changed(hass)
        async with asyncio.timeout(10):
            await stored.wait()

        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        await drain(hass, freezer, entry, step=SETTLE.total_seconds(), within=300)

    assert len(posts(live)) == 4
    assert delivered(live) == Counter({ALERT: 1})
    [event] = events
    assert event.data["outbox_id"] == result["outbox_id"]
    assert event.data["status"] == "sent"


async def test_never_claims_a_group_message(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    entry: MockConfigEntry,
) -> None:
    """The same text to a group with the recipient in it is not the recipient's."""
    # Sent by someone else (another app on the account): nothing claimed it.
    other_app = SendblueClient(
        API_KEY_ID,
        API_SECRET,
        session=async_get_clientsession(hass),
        base_url=live.base_url,
    )
    line = live.lines[0]
    await other_app.send_group_message(
        from_number=line, numbers=[ALERT, OTHER], content="Leaving now"
    )
    # Not the same message either: other text, or the text with media.
    await other_app.send_message(number=ALERT, from_number=line, content="Leaving")
    await other_app.send_message(
        number=ALERT,
        from_number=line,
        content="Leaving now",
        media_url="https://example.com/map.png",
    )
    live.control.add_fault("server_error", count=1, path_prefix=SEND_PATH)
    [result] = await send(hass, [ALERT], "Leaving now")
    assert result["status"] == "queued"

    await drain(hass, freezer, entry, step=SETTLE.total_seconds(), within=300)

    assert delivered(live) == Counter({ALERT: 3})
    assert len(live.control.messages(outbound=True)) == 4


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"to": [ALERT, OTHER]}, GROUP_PATH),
        ({"group_id": "known"}, GROUP_PATH),
    ],
    ids=["members", "group_id"],
)
async def test_group_messages_found_not_resent(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    entry: MockConfigEntry,
    events: list[Event],
    fields: dict[str, Any],
    path: str,
) -> None:
    """A group message Sendblue took before failing is found, by members or id."""
    if fields.get("group_id"):
        first = await group_send(hass, {"to": [ALERT, OTHER], "message": "Hello"})
        fields = {"group_id": first["group_id"]}
    before = len(live.control.messages(outbound=True))
    live.control.add_fault("unavailable", count=1, after=True, path_prefix=path)
    result = await group_send(hass, {**fields, "message": "Dinner is ready"})
    assert result["status"] == "queued"
    assert result["group_id"] == fields.get("group_id")

    await drain(hass, freezer, entry, step=SETTLE.total_seconds(), within=300)

    messages = live.control.messages(outbound=True)[before:]
    assert [m["content"] for m in messages] == ["Dinner is ready"]
    assert len([r for r in live.control.requests() if r["path"] == path]) == (
        before + 1
    )
    [event] = events
    assert event.data["status"] == "sent"
    assert event.data["message_handle"] == messages[0]["message_handle"]
    assert event.data["to"] == (fields.get("group_id") or [ALERT, OTHER])


# -- what does not heal ---------------------------------------------------------------


async def test_refusals_are_not_queued(
    hass: HomeAssistant, live: Simulator, entry: MockConfigEntry
) -> None:
    """A 400 or a 401 raises as before the outbox; nothing is queued."""
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, [ALERT], "Re: nothing", reply_to="no-such-message")
    assert err.value.translation_key == "rejected"

    live.config.api_secret_key = "revoked"
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, [ALERT], "Hello")
    assert err.value.translation_key == "authentication_error"
    await hass.async_block_till_done()
    assert [
        flow["context"]["source"] for flow in hass.config_entries.flow.async_progress()
    ] == ["reauth"]
    assert entry.runtime_data.outbox.queued == 0


async def test_partly_queued_answers_each(
    hass: HomeAssistant, live: Simulator, entry: MockConfigEntry
) -> None:
    """One recipient queued, one sent: each result says which, nothing raises."""
    live.control.add_fault("server_error", count=1, path_prefix=SEND_PATH)
    results = await send(hass, [ALERT, OTHER], "Hi", retry_for=KEEP)
    assert [r["status"] for r in results] == ["queued", "QUEUED"]
    assert results[0]["outbox_id"]
    assert results[1]["message_handle"]
    assert "outbox_id" not in results[1]
    assert entry.runtime_data.outbox.queued == 1


async def test_failed_when_the_retry_is_refused(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    entry: MockConfigEntry,
    events: list[Event],
) -> None:
    """A retry Sendblue refuses (400) is dropped with a failed event."""
    live.control.add_fault("unavailable", count=1, path_prefix=SEND_PATH)
    [result] = await send(hass, [ALERT], "Re: gone", reply_to="no-such-message")
    assert result["status"] == "queued"

    await drain(hass, freezer, entry, step=SETTLE.total_seconds(), within=300)

    [event] = events
    assert event.data["status"] == "failed"
    assert event.data["message_handle"] is None
    assert "same conversation" in event.data["error"]
    assert delivered(live) == Counter()
    assert not ir.async_get(hass).async_get_issue(
        DOMAIN, f"outbox_expired_{entry.entry_id}"
    )


async def test_unexpected_error_fails_the_message(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    entry: MockConfigEntry,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An error that is not Sendblue's drops the message instead of a retry loop."""
    live.control.add_fault("unavailable", count=1, path_prefix=SEND_PATH)
    await send(hass, [ALERT], "Hi")
    with patch.object(
        entry.runtime_data.client, "iter_message_pages", side_effect=RuntimeError("bug")
    ):
        await drain(hass, freezer, entry, step=SETTLE.total_seconds(), within=60)

    assert [(e.data["status"], e.data["error"]) for e in events] == [("failed", "bug")]
    assert "could not be tried" in caplog.text


# -- waiting as Sendblue asks ---------------------------------------------------------


async def test_retry_after_is_honoured(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    entry: MockConfigEntry,
) -> None:
    """A 429 with Retry-After holds the line that long, for every message on it."""
    # The client itself tries three times before giving up.
    live.control.add_fault("rate_limit", count=3, retry_after=20, path_prefix=SEND_PATH)
    [first] = await send(hass, [ALERT], "First")
    [second] = await send(hass, [OTHER], "Second")
    assert first["status"] == second["status"] == "queued"
    assert len(posts(live)) == 3, "the line is held: the second was not tried"

    await elapse(hass, freezer, 19)
    assert len(posts(live)) == 3
    await elapse(hass, freezer, 2)
    assert delivered(live) == Counter({ALERT: 1, OTHER: 1})
    assert entry.runtime_data.outbox.queued == 0


async def test_poll_that_works_ends_the_wait_for_sendblue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    entry: MockConfigEntry,
) -> None:
    """Back before the next probe: the coordinator's poll lets the outbox go."""
    await go_down(live, entry)
    with patch("custom_components.sendblue.outbox.PROBE_BASE", timedelta(hours=1)):
        [result] = await send(hass, [ALERT], "Gas leak")
        assert result["status"] == "queued"
        await live.start_listening()
        await elapse(hass, freezer, 1)
        assert entry.runtime_data.outbox.queued == 1

        await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)

    assert delivered(live) == Counter({ALERT: 1})


# -- giving up ------------------------------------------------------------------------


async def test_expired_messages_raise_a_repair(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    entry: MockConfigEntry,
    events: list[Event],
) -> None:
    """Not sent in time: expired events, a repair that counts, dismissed or cleared."""
    assert await async_setup_component(hass, "repairs", {})
    issue_id = f"outbox_expired_{entry.entry_id}"
    live.control.add_fault("unavailable", probability=1.0, path_prefix=SEND_PATH)

    [first] = await send(hass, [ALERT], "One", retry_for="00:01:00")
    [second] = await send(hass, [OTHER], "Two", retry_for="00:02:00")
    # Behind the second, never tried: it expires without an attempt.
    [third] = await send(hass, [OTHER], "Two more", retry_for="00:01:30")
    await drain(hass, freezer, entry, step=10, within=180)

    assert [(e.data["outbox_id"], e.data["status"]) for e in events] == [
        (first["outbox_id"], "expired"),
        (third["outbox_id"], "expired"),
        (second["outbox_id"], "expired"),
    ]
    assert [e.data["error"] for e in events] == [
        "Service unavailable",
        None,
        "Service unavailable",
    ]
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_key == "outbox_expired"
    assert issue.translation_placeholders == {"title": entry.title, "count": "3"}

    # Dismissed by the user, through the fix flow.
    flows = repairs_flow_manager(hass)
    assert flows is not None
    flow = await flows.async_init(DOMAIN, data={"issue_id": issue_id})
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"] == {"title": entry.title, "count": "3"}
    flow = await flows.async_configure(flow["flow_id"], {})
    assert flow["type"] is FlowResultType.CREATE_ENTRY
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None

    # Raised again for the next, counting from one; cleared by a delivery.
    await send(hass, [ALERT], "Three", retry_for="00:00:30")
    await drain(hass, freezer, entry, step=10, within=60)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders["count"] == "1"
    live.control.clear_faults()
    await send(hass, [ALERT], "Four")
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_found_while_expiring_counts_as_sent(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    entry: MockConfigEntry,
    events: list[Event],
) -> None:
    """Out of time but maybe sent: looked for once more, and sent it was."""
    live.control.add_fault("server_error", count=1, after=True, path_prefix=SEND_PATH)
    [result] = await send(hass, [ALERT], "Window open", retry_for="00:00:10")

    await drain(hass, freezer, entry, step=11, within=60)

    [event] = events
    assert (event.data["outbox_id"], event.data["status"]) == (
        result["outbox_id"],
        "sent",
    )
    assert len(posts(live)) == 1


async def test_full_outbox_expires_the_oldest(
    hass: HomeAssistant,
    live: Simulator,
    entry: MockConfigEntry,
    events: list[Event],
) -> None:
    """Over the bound, the oldest message expires to make room, with its event."""
    await go_down(live, entry)
    # No probe while the four are sent: none of them is being tried.
    with (
        patch("custom_components.sendblue.outbox.MAX_QUEUED", 3),
        patch("custom_components.sendblue.outbox.PROBE_BASE", timedelta(hours=1)),
    ):
        results = [
            (await send(hass, [number], "Motion"))[0] for number in RECIPIENTS[:4]
        ]
    assert [r["status"] for r in results] == ["queued"] * 4
    assert entry.runtime_data.outbox.queued == 3
    [event] = events
    assert event.data["outbox_id"] == results[0]["outbox_id"]
    assert event.data["status"] == "expired"
    assert event.data["error"] == "The outbox was full (3 messages)"
    assert queued_count(hass, entry) == "3"


# -- order, memory, storage -----------------------------------------------------------


async def test_sends_to_one_chat_at_once_stay_in_order(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    entry: MockConfigEntry,
) -> None:
    """Three sends at once to one recipient, the first failing: still in order."""
    live.control.add_fault("server_error", count=1, path_prefix=SEND_PATH)
    results = await asyncio.gather(
        *(send(hass, [ALERT], text) for text in ("one", "two", "three"))
    )
    assert [r["status"] for [r] in results] == ["queued"] * 3

    await drain(hass, freezer, entry, step=SETTLE.total_seconds(), within=300)

    stored = live.control.messages(outbound=True)
    assert [m["content"] for m in stored] == ["one", "two", "three"]


async def test_claimed_handles_are_bounded(
    hass: HomeAssistant, live: Simulator, entry: MockConfigEntry
) -> None:
    """The handles no message may claim again are kept up to a bound."""
    with patch("custom_components.sendblue.outbox.MAX_CLAIMED", 2):
        await send(hass, RECIPIENTS[:3], "Hello")
    assert entry.runtime_data.outbox.diagnostics()["claimed"] == 2


async def test_saved_outbox_is_read_at_setup(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    tuning: Tuning,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What a previous run saved goes out; what cannot be read is dropped, said so."""
    entry = sending_entry(live)
    now = dt_util.utcnow()
    saved = {
        "outbox_id": "01SAVED",
        "line": live.lines[0],
        "to": ALERT,
        "group_id": None,
        "members": [],
        "content": "Saved before the restart",
        "media_url": None,
        "send_style": "loud",
        "reply_to": None,
        "queued_at": now.isoformat(),
        "deadline": (now + timedelta(minutes=30)).isoformat(),
        "next_try": now.isoformat(),
        "first_attempt": None,
        "attempts": 0,
        "ambiguous": False,
        "error": None,
    }
    hass_storage[f"{DOMAIN}.{entry.entry_id}.outbox"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.outbox",
        "data": {"items": [saved, {"outbox_id": "broken"}], "claimed": ["h-old"]},
    }
    events = async_capture_events(hass, EVENT_OUTBOX)
    await set_up(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)

    [message] = live.control.messages(outbound=True)
    assert message["content"] == "Saved before the restart"
    assert message["send_style"] == "loud"
    assert [e.data["outbox_id"] for e in events] == ["01SAVED"]
    assert "Dropped a queued message that could not be read" in caplog.text
    assert entry.runtime_data.outbox.diagnostics()["claimed"] == 2


async def test_stopped_outbox_leaves_the_file_alone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    live: Simulator,
    hass_storage: dict[str, Any],
) -> None:
    """An answer that comes after the stop changes nothing on disk."""
    with tune_clients(timeout=600), storing(live) as stored:
        entry = sending_entry(live)
        await set_up(hass, entry)
        live.control.add_fault("unavailable", count=1, path_prefix=SEND_PATH)
        live.control.add_fault(
            "delay", count=1, after=True, delay_ms=60_000, path_prefix=SEND_PATH
        )
        await send(hass, [ALERT], "Late answer")
        freezer.tick(SETTLE.total_seconds() + 1)
        async_fire_time_changed(hass)
        async with asyncio.timeout(10):
            await stored.wait()
        outbox = entry.runtime_data.outbox
        await outbox.async_stop()
        on_disk = hass_storage[f"{DOMAIN}.{entry.entry_id}.outbox"]["data"]
        await elapse(hass, freezer, 61)

    assert delivered(live) == Counter({ALERT: 1})
    assert outbox.queued == 0
    assert hass_storage[f"{DOMAIN}.{entry.entry_id}.outbox"]["data"] == on_disk
    assert on_disk["items"][0]["ambiguous"]


async def test_removing_the_entry_deletes_the_outbox(
    hass: HomeAssistant,
    live: Simulator,
    entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """The outbox's file goes with its entry."""
    live.control.add_fault("unavailable", count=1, path_prefix=SEND_PATH)
    await send(hass, [ALERT], "Queued")
    key = f"{DOMAIN}.{entry.entry_id}.outbox"
    assert hass_storage[key]["data"]["items"]

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
