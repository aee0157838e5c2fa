"""Receiving against the simulator: the stream, the catch-up, saved state, the modes.

The integration's real client talks to the in-process simulator over loopback. The
simulator's clock is manual, and Home Assistant's is frozen at the same moment, so
the replay window compares times of one clock. Waits are on events (the bus, the
simulator's open streams, the stream receiver's backoff), never on sleeps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sendblue import catchup as catchup_module
from custom_components.sendblue import stream as stream_module
from custom_components.sendblue.api import SendblueClient
from custom_components.sendblue.const import (
    CONF_ACCOUNT_EMAIL,
    CONF_API_KEY_ID,
    CONF_API_SECRET_KEY,
    CONF_BASE_URL,
    CONF_POLLING_INTERVAL,
    CONF_RECEIVE_MODE,
    CONF_REPLAY_WINDOW,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
    EVENT_TYPING_INDICATOR,
    STREAM_LINES_SCAN_INTERVAL,
    ReceiveMode,
)
from custom_components.sendblue.stream import SendblueStream
from sendblue_simulator import Simulator

from .conftest import API_KEY_ID, API_SECRET, EMAIL, WEBHOOK_ID, WEBHOOK_SECRET

CONTACT = "+15550001112"
OTHER = "+15550003334"
# The simulator's manual clock starts here; Home Assistant's is frozen with it.
START = datetime.fromisoformat("2026-01-01T12:00:00+00:00")
WITHIN = 5.0  # real seconds an awaited thing may take before the test fails
POLL = 15


# -- helpers ----------------------------------------------------------------------


class Bus:
    """Collect Home Assistant events of some types and wait for a number of them."""

    def __init__(self, hass: HomeAssistant, *event_types: str) -> None:
        """Listen to the event types."""
        self.events: list[Event] = []
        self._changed = asyncio.Event()
        for event_type in event_types:
            hass.bus.async_listen(event_type, self._add)

    @callback
    def _add(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait(self, count: int) -> list[Event]:
        """Wait until count events came; return them all."""
        async with asyncio.timeout(WITHIN):
            while len(self.events) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.events

    def of(self, event_type: str) -> list[dict[str, Any]]:
        """Return the data of the events of one type, in order."""
        return [e.data for e in self.events if e.event_type == event_type]


class Backoff:
    """Tell when the stream receiver starts waiting to reconnect (after an attempt)."""

    def __init__(self) -> None:
        """Start with no wait seen."""
        self.waits: list[float] = []
        self._waiting = asyncio.Event()

    def record(self, seconds: float) -> None:
        """Note a wait of the receiver."""
        self.waits.append(seconds)
        self._waiting.set()

    async def next(self) -> float:
        """Wait until the receiver waits again; return for how long."""
        async with asyncio.timeout(WITHIN):
            await self._waiting.wait()
        self._waiting.clear()
        return self.waits[-1]


@pytest.fixture
def backoff() -> Iterator[Backoff]:
    """Watch the stream receiver's reconnect waits (they still run on HA's clock)."""
    watch = Backoff()
    wait = SendblueStream._async_wait

    async def watched(self: SendblueStream, seconds: float) -> None:
        watch.record(seconds)
        await wait(self, seconds)

    with patch.object(SendblueStream, "_async_wait", watched):
        yield watch


@pytest.fixture
async def sim(simulator: Simulator, freezer: FrozenDateTimeFactory) -> Simulator:
    """Return the simulator with Home Assistant's clock at the simulator's time."""
    freezer.move_to(START)
    return simulator


def entry_for(sim: Simulator, **options: Any) -> MockConfigEntry:  # noqa: ANN401
    """Return a config entry pointing at the simulator, with these options."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=API_KEY_ID,
        version=1,
        minor_version=2,
        data={
            CONF_API_KEY_ID: API_KEY_ID,
            CONF_API_SECRET_KEY: API_SECRET,
            CONF_BASE_URL: sim.base_url,
            CONF_ACCOUNT_EMAIL: EMAIL,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
            CONF_WEBHOOK_SECRET: WEBHOOK_SECRET,
        },
        options=options,
    )


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add (if new) and set up an entry, then let its catch-up finish."""
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await catchups(hass)


async def unload(hass: HomeAssistant, entry: MockConfigEntry, sim: Simulator) -> None:
    """Unload an entry; its stream (if any) is closed at the simulator."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await sim.control.wait_for_streams(0, max_wait=WITHIN)


async def background(hass: HomeAssistant, *names: str) -> None:
    """Wait for the entry's background tasks of these names to end."""
    tasks = [
        task for task in hass._background_tasks if task.get_name().startswith(names)
    ]
    async with asyncio.timeout(WITHIN):
        await asyncio.gather(*tasks)


async def catchups(hass: HomeAssistant) -> None:
    """Wait for the catch-ups and first polls under way."""
    await background(hass, "Sendblue catch-up", "Sendblue first poll")


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Move Home Assistant's time and run what falls due."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def send(sim: Simulator, number: str = OTHER) -> str:
    """Send a text through the simulator as another client would; return its handle."""
    async with ClientSession() as session:
        client = SendblueClient(
            API_KEY_ID, API_SECRET, session=session, base_url=sim.base_url
        )
        message = await client.send_message(
            number=number, from_number=sim.lines[0], content="Leaving now"
        )
    assert message.message_handle is not None
    return message.message_handle


def receiver_of(entry: MockConfigEntry) -> Any:  # noqa: ANN401
    """Return the entry's receiver."""
    return entry.runtime_data.receiver


def mode_sensor(hass: HomeAssistant) -> str:
    """Return the state of the account's receive mode sensor."""
    states = [
        state
        for state in hass.states.async_all("sensor")
        if state.entity_id.endswith("_receive_mode")
    ]
    assert len(states) == 1
    return states[0].state


# -- the stream -------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["minimal", "full", "ids"])
async def test_stream_fires_texts_statuses_and_typing(
    hass: HomeAssistant, sim: Simulator, shape: str
) -> None:
    """Every data shape fires the same events; only thin data is fetched."""
    sim.control.configure_events(data_shape=shape)
    bus = Bus(
        hass, EVENT_MESSAGE_RECEIVED, EVENT_MESSAGE_STATUS, EVENT_TYPING_INDICATOR
    )
    entry = entry_for(sim, **{CONF_RECEIVE_MODE: ReceiveMode.STREAM})
    await set_up(hass, entry)
    await sim.control.wait_for_streams(1, max_wait=WITHIN)
    assert mode_sensor(hass) == "stream"

    text = sim.control.inject_inbound(
        from_number=CONTACT, to_number=sim.lines[0], content="Open the garage"
    )
    sim.control.inject_typing(from_number=CONTACT, to_number=sim.lines[0])
    await bus.wait(2)
    # One status step a second: data with only ids is fetched at each step.
    sim.control.set_latency(1000)
    handle = await send(sim)
    for count in (3, 4, 5):
        await bus.wait(count)
        await sim.control.advance(1)

    [received] = bus.of(EVENT_MESSAGE_RECEIVED)
    assert received["message_handle"] == text["message_handle"]
    assert received["content"] == "Open the garage"
    assert received["from_number"] == CONTACT
    assert received["line"] == sim.lines[0]
    assert received["replayed"] is False
    statuses = bus.of(EVENT_MESSAGE_STATUS)
    assert [(s["message_handle"], s["status"]) for s in statuses] == [
        (handle, "QUEUED"),
        (handle, "SENT"),
        (handle, "DELIVERED"),
    ]
    assert {s["service"] for s in statuses} == {"iMessage"}
    assert not any(s["replayed"] for s in statuses)
    [typing] = bus.of(EVENT_TYPING_INDICATOR)
    assert typing["number"] == CONTACT
    assert typing["replayed"] is False
    fetched = receiver_of(entry).diagnostics()["fetched_messages"]
    assert fetched == (0 if shape == "full" else 4)

    await unload(hass, entry, sim)


async def test_line_status_follows_one_event(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """A line's status sensor changes with line.status.changed, without a poll."""
    entry = entry_for(sim, **{CONF_RECEIVE_MODE: ReceiveMode.STREAM})
    await set_up(hass, entry)
    await sim.control.wait_for_streams(1, max_wait=WITHIN)
    assert entry.runtime_data.coordinator.update_interval == STREAM_LINES_SCAN_INTERVAL
    line = sim.lines[1]
    entity_id = next(
        state.entity_id
        for state in hass.states.async_all("sensor")
        if state.entity_id.endswith(f"{line[-4:]}_status")
    )
    changed = asyncio.Event()

    @callback
    def offline(event: Event) -> None:
        if event.data["entity_id"] == entity_id and (
            event.data["new_state"].state == "offline"
        ):
            changed.set()

    hass.bus.async_listen("state_changed", offline)
    requests = len(sim.control.requests())
    sim.control.set_line_status(line, "OFFLINE")
    async with asyncio.timeout(WITHIN):
        await changed.wait()
    # Nothing was polled for it: the event carried the status.
    assert len(sim.control.requests()) == requests
    await unload(hass, entry, sim)


async def test_drop_reconnects_and_catches_up(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """A text sent while the stream reconnects fires once, replayed."""
    bus = Bus(hass, EVENT_MESSAGE_RECEIVED)
    entry = entry_for(sim, **{CONF_RECEIVE_MODE: ReceiveMode.STREAM})
    await set_up(hass, entry)
    await sim.control.wait_for_streams(1, max_wait=WITHIN)
    sim.control.inject_inbound(from_number=CONTACT, content="live")
    await bus.wait(1)

    assert sim.control.drop_streams() == 1
    # The stream is gone before the receiver runs again: only a listing finds it.
    sim.control.inject_inbound(from_number=CONTACT, content="between streams")
    await bus.wait(2)
    await catchups(hass)
    sim.control.inject_inbound(from_number=CONTACT, content="after")
    await bus.wait(3)

    assert [(e["content"], e["replayed"]) for e in bus.of(EVENT_MESSAGE_RECEIVED)] == [
        ("live", False),
        ("between streams", True),
        ("after", False),
    ]
    assert receiver_of(entry).diagnostics()["connections"] == 2
    await unload(hass, entry, sim)


async def test_stall_times_out_and_reconnects(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    backoff: Backoff,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stream that stops beating ends at the read timeout and is opened again."""
    bus = Bus(hass, EVENT_MESSAGE_RECEIVED)
    entry = entry_for(sim, **{CONF_RECEIVE_MODE: ReceiveMode.STREAM})
    await set_up(hass, entry)
    await sim.control.wait_for_streams(1, max_wait=WITHIN)
    assert sim.control.stall_streams() == 1

    # The read timeout runs on the event loop's clock, which the tick moves.
    await tick(hass, freezer, stream_module.READ_TIMEOUT + 1)
    delay = await backoff.next()
    await sim.control.wait_for_streams(0, max_wait=WITHIN)
    assert caplog.text.count("event stream of") == 1
    await tick(hass, freezer, delay)
    await sim.control.wait_for_streams(1, max_wait=WITHIN)
    sim.control.inject_inbound(from_number=CONTACT, content="back")
    await bus.wait(1)
    assert "works again" in caplog.text
    await unload(hass, entry, sim)


@pytest.mark.parametrize(
    "kind", ["invalid_json", "missing_id", "oversized", "unknown_type", "multiline"]
)
async def test_malformed_frames_are_skipped(
    hass: HomeAssistant, sim: Simulator, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Bad frames fire nothing and never end the stream; the next text fires."""
    caplog.set_level(logging.DEBUG, logger="custom_components.sendblue")
    bus = Bus(hass, EVENT_MESSAGE_RECEIVED, EVENT_MESSAGE_STATUS)
    entry = entry_for(sim, **{CONF_RECEIVE_MODE: ReceiveMode.STREAM})
    await set_up(hass, entry)
    await sim.control.wait_for_streams(1, max_wait=WITHIN)

    assert sim.control.send_malformed(kind) == 1
    sim.control.inject_inbound(from_number=CONTACT, content="still here")
    events = await bus.wait(1)

    assert [e.data["content"] for e in events] == ["still here"]
    assert receiver_of(entry).diagnostics()["connections"] == 1
    if kind == "unknown_type":
        assert receiver_of(entry).diagnostics()["skipped_events"] == 1
    await unload(hass, entry, sim)


async def test_outage_backs_off_raises_a_repair_and_recovers(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    backoff: Backoff,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Failing 15 minutes raises a repair; recovery clears it and repairs the gap."""
    bus = Bus(hass, EVENT_MESSAGE_RECEIVED)
    entry = entry_for(sim, **{CONF_RECEIVE_MODE: ReceiveMode.STREAM})
    await set_up(hass, entry)
    await sim.control.wait_for_streams(1, max_wait=WITHIN)
    issue_id = f"stream_failing_{entry.entry_id}"

    await sim.stop_listening()
    waits = [await backoff.next()]
    while dt_util.utcnow() - START < timedelta(minutes=16):
        await tick(hass, freezer, waits[-1])
        waits.append(await backoff.next())
    # Doubling with jitter, never past the cap.
    assert all(w <= min(stream_module.MAX_RETRY, 2**i) for i, w in enumerate(waits)), (
        waits
    )
    assert max(waits) > stream_module.MAX_RETRY / 2
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    assert caplog.text.count("failed, reconnecting") == 1

    # A text near the end of the outage, inside the replay window.
    await sim.control.advance((dt_util.utcnow() - START).total_seconds())
    sim.control.inject_inbound(from_number=CONTACT, content="during the outage")
    await sim.start_listening()
    await tick(hass, freezer, waits[-1])
    await sim.control.wait_for_streams(1, max_wait=WITHIN)
    events = await bus.wait(1)
    assert [(e.data["content"], e.data["replayed"]) for e in events] == [
        ("during the outage", True)
    ]
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert caplog.text.count("works again") == 1
    await unload(hass, entry, sim)


async def test_refused_key_starts_reauth(hass: HomeAssistant, sim: Simulator) -> None:
    """A 401 on reconnecting stops the stream and asks for the key."""
    entry = entry_for(sim, **{CONF_RECEIVE_MODE: ReceiveMode.STREAM})
    await set_up(hass, entry)
    await sim.control.wait_for_streams(1, max_wait=WITHIN)

    sim.config.api_secret_key = "revoked"
    sim.control.drop_streams()
    # The receiver gives up: its task ends.
    await background(hass, "Sendblue event stream")
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_stream_gone_falls_back_to_polling(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A 404 on reconnecting polls for the rest of the run, with a repair."""
    bus = Bus(hass, EVENT_MESSAGE_RECEIVED)
    entry = entry_for(
        sim, **{CONF_RECEIVE_MODE: ReceiveMode.STREAM, CONF_POLLING_INTERVAL: POLL}
    )
    await set_up(hass, entry)
    await sim.control.wait_for_streams(1, max_wait=WITHIN)

    sim.control.configure_events(available=False)
    sim.control.drop_streams()
    await background(hass, "Sendblue event stream")
    await hass.async_block_till_done()
    await catchups(hass)
    assert receiver_of(entry).mode is ReceiveMode.POLLING
    assert mode_sensor(hass) == "polling"
    assert issue_registry.async_get_issue(
        DOMAIN, f"stream_not_available_{entry.entry_id}"
    )
    sim.control.inject_inbound(from_number=CONTACT, content="polled")
    await tick(hass, freezer, POLL)
    await catchups(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["content"] for e in await bus.wait(1)] == ["polled"]


# -- choosing the mode ------------------------------------------------------------


@pytest.mark.parametrize(
    ("available", "external_url", "expected"),
    [
        (True, True, ReceiveMode.STREAM),
        (False, True, ReceiveMode.WEBHOOK),
        (False, False, ReceiveMode.POLLING),
    ],
)
async def test_auto_picks_stream_then_webhook_then_polling(
    hass: HomeAssistant,
    sim: Simulator,
    available: bool,  # noqa: FBT001
    external_url: bool,  # noqa: FBT001
    expected: ReceiveMode,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Auto opens the stream; without it, the webhook with a public URL, else polls."""
    sim.control.configure_events(available=available)
    if external_url:
        # Sendblue is told the URL; nothing delivers in this test, so nothing calls it.
        await async_process_ha_core_config(
            hass, {"external_url": "https://home.example.com"}
        )
    entry = entry_for(sim, **{CONF_RECEIVE_MODE: ReceiveMode.AUTO})
    await set_up(hass, entry)

    assert receiver_of(entry).mode is expected
    assert mode_sensor(hass) == expected.value
    registered = [hook["url"] for hook in sim.control.webhooks()["receive"]]
    assert bool(registered) == (expected is ReceiveMode.WEBHOOK)
    # Auto never complains that something it did not choose is missing.
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]
    await unload(hass, entry, sim)


async def test_stream_mode_without_stream_polls_with_a_repair(
    hass: HomeAssistant, sim: Simulator, issue_registry: ir.IssueRegistry
) -> None:
    """Stream chosen but refused at setup: polling, and a repair saying why."""
    sim.control.configure_events(available=False)
    entry = entry_for(sim, **{CONF_RECEIVE_MODE: ReceiveMode.STREAM})
    await set_up(hass, entry)

    assert receiver_of(entry).mode is ReceiveMode.POLLING
    issue_id = f"stream_not_available_{entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    # Chosen again at reload: the stream is back, the repair goes.
    sim.control.configure_events(available=True)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert receiver_of(entry).mode is ReceiveMode.STREAM
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await unload(hass, entry, sim)


async def test_stream_mode_removes_our_old_webhook(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """Moving from webhook to stream deletes the webhook Sendblue would call."""
    await async_process_ha_core_config(
        hass, {"external_url": "https://home.example.com"}
    )
    entry = entry_for(sim, **{CONF_RECEIVE_MODE: ReceiveMode.WEBHOOK})
    await set_up(hass, entry)
    assert sim.control.webhooks()["receive"]

    hass.config_entries.async_update_entry(
        entry, options={CONF_RECEIVE_MODE: ReceiveMode.STREAM}
    )
    await hass.async_block_till_done()
    await catchups(hass)
    assert receiver_of(entry).mode is ReceiveMode.STREAM
    assert not sim.control.webhooks()["receive"]
    await unload(hass, entry, sim)


# -- catch-up and saved state -----------------------------------------------------


async def test_restart_fires_nothing_twice(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """Unload and set up again: seen texts stay seen; missed ones fire, replayed."""
    bus = Bus(hass, EVENT_MESSAGE_RECEIVED, EVENT_MESSAGE_STATUS)
    entry = entry_for(sim, **{CONF_RECEIVE_MODE: ReceiveMode.STREAM})
    await set_up(hass, entry)
    await sim.control.wait_for_streams(1, max_wait=WITHIN)
    sim.control.inject_inbound(from_number=CONTACT, content="before")
    handle = await send(sim)
    await sim.control.advance(1)
    await bus.wait(4)
    await unload(hass, entry, sim)

    # Down: a text, and a status step of the text sent before.
    sim.control.inject_inbound(from_number=CONTACT, content="while down")
    await sim.control.advance(1)
    freezer.tick(timedelta(seconds=2))
    await set_up(hass, entry)
    await sim.control.wait_for_streams(1, max_wait=WITHIN)
    await bus.wait(5)

    received = bus.of(EVENT_MESSAGE_RECEIVED)
    assert [(e["content"], e["replayed"]) for e in received] == [
        ("before", False),
        ("while down", True),
    ]
    assert [
        (e["message_handle"], e["status"]) for e in bus.of(EVENT_MESSAGE_STATUS)
    ] == [
        (handle, "QUEUED"),
        (handle, "SENT"),
        (handle, "DELIVERED"),
    ]
    await unload(hass, entry, sim)


async def test_old_texts_fire_nothing_but_show_as_activity(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A missed text older than the replay window fires no event; one info line."""
    bus = Bus(hass, EVENT_MESSAGE_RECEIVED)
    entry = entry_for(
        sim, **{CONF_RECEIVE_MODE: ReceiveMode.POLLING, CONF_REPLAY_WINDOW: 10}
    )
    await set_up(hass, entry)
    await unload(hass, entry, sim)

    old = sim.control.inject_inbound(from_number=CONTACT, content="open the garage")
    await sim.control.advance(11 * 60)
    freezer.tick(timedelta(minutes=11))
    await set_up(hass, entry)

    assert bus.events == []
    assert "Found 1 missed texts" in caplog.text
    sensor = next(
        state
        for state in hass.states.async_all("sensor")
        if state.entity_id.endswith(f"{sim.lines[0][-4:]}_last_received")
    )
    assert dt_util.parse_datetime(sensor.state) == dt_util.parse_datetime(
        old["date_sent"]
    )
    assert entry.runtime_data.receiver.diagnostics()["catchup"]["skipped_too_old"] == 1
    await unload(hass, entry, sim)


async def test_catchup_is_bounded_and_resumes(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One run reads at most MAX_PAGES_PER_RUN pages; the next one goes on."""
    monkeypatch.setattr(catchup_module, "PAGE_SIZE", 2)
    monkeypatch.setattr(catchup_module, "MAX_PAGES_PER_RUN", 2)
    bus = Bus(hass, EVENT_MESSAGE_RECEIVED)
    entry = entry_for(
        sim, **{CONF_RECEIVE_MODE: ReceiveMode.POLLING, CONF_POLLING_INTERVAL: POLL}
    )
    await set_up(hass, entry)
    await unload(hass, entry, sim)
    for n in range(7):
        sim.control.inject_inbound(from_number=CONTACT, content=f"text {n}")
        await sim.control.advance(1)
    freezer.tick(timedelta(seconds=7))
    sim.control.clear_requests()

    await set_up(hass, entry)
    assert len(bus.events) == 4
    listed = [r for r in sim.control.requests() if r["path"] == "/api/v2/messages"]
    assert len(listed) == 2
    await tick(hass, freezer, POLL)
    await hass.async_block_till_done(wait_background_tasks=True)
    events = await bus.wait(7)
    assert [e.data["content"] for e in events] == [f"text {n}" for n in range(7)]
    # Found after the fact, all of them.
    assert all(e.data["replayed"] for e in events)
    await unload(hass, entry, sim)


async def test_polling_starts_from_the_saved_cursor(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """Texts and status steps from while the entry was down are listed at setup."""
    bus = Bus(hass, EVENT_MESSAGE_RECEIVED, EVENT_MESSAGE_STATUS)
    entry = entry_for(sim, **{CONF_RECEIVE_MODE: ReceiveMode.POLLING})
    await set_up(hass, entry)
    await unload(hass, entry, sim)

    handle = await send(sim)
    sim.control.inject_inbound(from_number=CONTACT, content="while down")
    await sim.control.advance(2)
    freezer.tick(timedelta(seconds=3))
    await set_up(hass, entry)

    assert [e["content"] for e in bus.of(EVENT_MESSAGE_RECEIVED)] == ["while down"]
    # The current status, once: the steps between were never seen.
    assert [
        (e["message_handle"], e["status"], e["replayed"])
        for e in bus.of(EVENT_MESSAGE_STATUS)
    ] == [(handle, "DELIVERED", True)]
    await unload(hass, entry, sim)
    await set_up(hass, entry)
    assert len(bus.events) == 2
    await unload(hass, entry, sim)
