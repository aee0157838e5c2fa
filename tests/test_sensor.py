"""Tests for line and account sensors, dynamic lines and line repairs."""

from datetime import timedelta
from typing import Any
from unittest.mock import AsyncMock

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers import restore_state as rs
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_load_restore_state_from_storage,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sendblue.api import LinesState, SendblueConnectionError
from custom_components.sendblue.const import DOMAIN, WEBHOOK_LINES_SCAN_INTERVAL
from custom_components.sendblue.sensor import ACTIVITY_WRITE_INTERVAL

from .conftest import LINE_1, LINE_2, WEBHOOK_ID, WEBHOOK_SECRET, load_json

NEW_LINE = "+14155550123"
LAST_RECEIVED = "sensor.1_512_216_4639_last_received"


async def _texts_at(hass_client_no_auth: ClientSessionGenerator, *seconds: int) -> None:
    """Deliver one text per second given, sent at 10:00:SS, through the webhook."""
    client = await hass_client_no_auth()
    for second in seconds:
        payload = load_json("webhook_message_received.json") | {
            "message_handle": f"text-{second}",
            "date_sent": f"2026-11-01T10:00:{second:02d}.000Z",
        }
        response = await client.post(
            f"/api/webhook/{WEBHOOK_ID}",
            json=payload,
            headers={"sb-signing-secret": WEBHOOK_SECRET},
        )
        assert response.status == 200


def _sent_at(second: int) -> str:
    """Return how the last-received sensor shows a text sent at 10:00:SS."""
    return f"2026-11-01T10:00:{second:02d}+00:00"


async def _interval_passes(hass: HomeAssistant, intervals: int = 1) -> None:
    """Let Home Assistant's clock run past the activity sensors' write interval."""
    later = timedelta(seconds=ACTIVITY_WRITE_INTERVAL * intervals)
    async_fire_time_changed(hass, dt_util.utcnow() + later)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_sensor_values(hass: HomeAssistant) -> None:
    """Sensors show line status, capacity and the contact count."""
    assert hass.states.get("sensor.1_512_216_4639_status").state == "online"
    assert hass.states.get("sensor.1_646_852_8190_status").state == "degraded"
    assert (
        hass.states.get("sensor.1_512_216_4639_new_contacts_left_today").state == "41"
    )
    assert (
        hass.states.get("sensor.1_646_852_8190_new_contacts_left_this_hour").state
        == "0"
    )
    assert hass.states.get("sensor.owner_example_com_contacts").state == "42"
    status = hass.states.get("sensor.1_512_216_4639_status")
    assert status.attributes["options"] == ["online", "offline", "degraded"]


@pytest.mark.usefixtures("init_integration")
async def test_capacity_disabled_by_default(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    """Capacity sensors are diagnostic and off until the user enables them."""
    entry = entity_registry.async_get("sensor.1_512_216_4639_new_contacts_left_today")
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get("sensor.1_512_216_4639_new_contacts_left_today") is None


async def test_lines_come_and_go(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    device_registry: dr.DeviceRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new line appears without a reload; a released line loses its device."""
    entry_id = init_integration.entry_id
    mock_sendblue_client.list_lines.return_value = [LINE_1, NEW_LINE]

    freezer.tick(WEBHOOK_LINES_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert hass.states.get("sensor.1_415_555_0123_status").state == STATE_UNKNOWN
    assert hass.states.get("event.1_415_555_0123_messages") is not None
    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, f"{entry_id}_line_{LINE_2}"), entry_id
        )
        is None
    )
    assert hass.states.get("sensor.1_646_852_8190_status") is None
    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, f"{entry_id}_line_{LINE_1}"), entry_id
        )
        is not None
    )


async def test_unavailable_and_back(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Entities go unavailable while Sendblue is down, logged once, and recover."""
    mock_sendblue_client.list_lines.side_effect = SendblueConnectionError("down")
    for _ in range(3):
        freezer.tick(WEBHOOK_LINES_SCAN_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()

    assert hass.states.get("sensor.1_512_216_4639_status").state == STATE_UNAVAILABLE
    assert hass.states.get("event.1_512_216_4639_messages").state == STATE_UNAVAILABLE
    assert caplog.text.count("Error fetching sendblue data") == 1

    mock_sendblue_client.list_lines.side_effect = None
    freezer.tick(WEBHOOK_LINES_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.1_512_216_4639_status").state == "online"
    assert hass.states.get("event.1_512_216_4639_messages").state == STATE_UNKNOWN
    assert "Fetching sendblue data recovered" in caplog.text


async def test_event_entity_ignores_polls(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Coordinator refreshes do not rewrite the event entity's state."""
    before = hass.states.get("event.1_512_216_4639_messages")
    freezer.tick(WEBHOOK_LINES_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    after = hass.states.get("event.1_512_216_4639_messages")
    assert after.last_reported == before.last_reported


async def test_line_offline_repair(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A line offline for over an hour raises a repair; it clears when back."""
    state = load_json("lines_state.json")
    state["data"][0]["status"] = "OFFLINE"
    state["data"][0]["status_changed_at"] = None
    mock_sendblue_client.get_lines_state.return_value = LinesState.from_dict(state)
    issue_id = f"line_offline_{init_integration.entry_id}_{LINE_1}"

    freezer.tick(WEBHOOK_LINES_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.1_512_216_4639_status").state == "offline"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None

    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"line": "+1 (512) 216-4639"}

    mock_sendblue_client.get_lines_state.return_value = LinesState.from_dict(
        load_json("lines_state.json")
    )
    freezer.tick(WEBHOOK_LINES_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_activity_restored_after_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
) -> None:
    """Last received and last sent survive a restart."""
    # What the last run saved, loaded as Home Assistant loads it at start (each
    # release indexes restored states its own way; storage is the stable format).
    hass_storage[rs.STORAGE_KEY] = {
        "version": rs.STORAGE_VERSION,
        "key": rs.STORAGE_KEY,
        "data": [
            {
                "state": State(
                    "sensor.1_512_216_4639_last_received", "2026-11-01T10:00:00+00:00"
                ).as_dict(),
                "extra_data": {
                    "native_value": {
                        "__type": "<class 'datetime.datetime'>",
                        "isoformat": "2026-11-01T10:00:00+00:00",
                    },
                    "native_unit_of_measurement": None,
                },
                "last_seen": "2026-11-01T10:00:00+00:00",
            }
        ],
    }
    await async_mock_load_restore_state_from_storage(hass)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert (
        hass.states.get("sensor.1_512_216_4639_last_received").state
        == "2026-11-01T10:00:00+00:00"
    )
    assert hass.states.get("sensor.1_512_216_4639_last_sent").state == STATE_UNKNOWN


@pytest.mark.usefixtures("init_integration")
async def test_activity_writes_at_most_once_an_interval(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """A burst of texts writes last received at once, then the latest once after."""
    writes: list[Event] = []

    @callback
    def record(event: Event) -> None:
        if event.data["entity_id"] == LAST_RECEIVED:
            writes.append(event)

    hass.bus.async_listen(EVENT_STATE_CHANGED, record)

    await _texts_at(hass_client_no_auth, 1, 2, 3)
    await hass.async_block_till_done()
    # The first text shows at once; the two behind it wait for the interval.
    assert [event.data["new_state"].state for event in writes] == [_sent_at(1)]

    await _interval_passes(hass)
    assert hass.states.get(LAST_RECEIVED).state == _sent_at(3)
    assert len(writes) == 2

    # Nothing moved in the next interval: it ends without a write.
    await _interval_passes(hass, 2)
    assert len(writes) == 2
    # After a quiet interval the next text shows at once again.
    await _texts_at(hass_client_no_auth, 4)
    await hass.async_block_till_done()
    assert hass.states.get(LAST_RECEIVED).state == _sent_at(4)
    assert len(writes) == 3


@pytest.mark.usefixtures("init_integration")
async def test_held_activity_is_what_restarts_restore(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """A write still held at shutdown is not lost: the latest time is saved."""
    await _texts_at(hass_client_no_auth, 1, 2)
    await hass.async_block_till_done()
    assert hass.states.get(LAST_RECEIVED).state == _sent_at(1)

    stored = {
        stored.state.entity_id: stored
        for stored in rs.async_get(hass).async_get_stored_states()
    }
    extra = stored[LAST_RECEIVED].extra_data
    assert extra is not None
    assert extra.as_dict()["native_value"]["isoformat"] == _sent_at(2)


async def test_held_activity_dropped_on_unload(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    init_integration: MockConfigEntry,
) -> None:
    """Unloading the entry drops a held write instead of writing after removal."""
    await _texts_at(hass_client_no_auth, 1, 2)
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    unloaded = hass.states.get(LAST_RECEIVED)

    await _interval_passes(hass)
    assert hass.states.get(LAST_RECEIVED) == unloaded
