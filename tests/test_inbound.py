"""Tests for the inbound path: dedupe memory, lines it does not know yet."""

from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.sendblue.api import parse_webhook
from custom_components.sendblue.const import (
    DEDUPE_SIZE,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
)
from custom_components.sendblue.inbound import BoundedSet

from .conftest import load_json


def test_bounded_set_forgets_the_oldest() -> None:
    """The set keeps the newest keys only."""
    seen: BoundedSet[int] = BoundedSet(3)
    assert [seen.add(i) for i in (1, 2, 3, 1)] == [True, True, True, False]
    assert seen.add(4) is True
    assert len(seen) == 3
    assert seen.add(1) is True  # 1 was the oldest and was forgotten


def process(entry: MockConfigEntry, payload: dict[str, Any]) -> None:
    """Hand a payload to the entry's inbound path as the webhook does."""
    entry.runtime_data.inbound.async_process(parse_webhook(payload), payload)


async def test_dedupe_memory_is_bounded(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Many unique deliveries keep memory at the cap, and every one fires."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    base = load_json("webhook_message_received.json")
    count = DEDUPE_SIZE + 50
    for i in range(count):
        process(init_integration, {**base, "message_handle": f"H{i}"})
    await hass.async_block_till_done()

    runtime = init_integration.runtime_data
    assert len(events) == count
    assert runtime.inbound.diagnostics()["dedupe_keys"] == DEDUPE_SIZE
    assert runtime.sent_lines.line_for("H0") is None  # forgotten
    assert runtime.sent_lines.line_for(f"H{count - 1}") == base["to_number"]


async def test_line_not_polled_yet(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A line Sendblue names that we have not polled still goes in the event."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    status = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    new_line = "+14155550123"
    inbound = {
        **load_json("webhook_message_received.json"),
        "to_number": new_line,
        "sendblue_number": new_line,
    }
    outbound = {
        **load_json("webhook_status_sent.json"),
        "from_number": new_line,
        "sendblue_number": None,
    }
    process(init_integration, inbound)
    process(init_integration, outbound)
    await hass.async_block_till_done()

    assert received[0].data["line"] == new_line
    assert status[0].data["line"] == new_line
    activity = init_integration.runtime_data.activity.lines
    assert new_line not in activity
    assert all(a.last_received is a.last_sent is None for a in activity.values())


async def test_no_line_at_all(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A payload naming no line fires with line None and reaches no entity."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    payload = {
        **load_json("webhook_message_received.json"),
        "to_number": None,
        "sendblue_number": None,
    }
    process(init_integration, payload)
    await hass.async_block_till_done()

    assert received[0].data["line"] is None
    assert received[0].data["to_number"] is None
    state = hass.states.get("event.1_512_216_4639_messages")
    assert state.attributes.get("event_type") is None
