"""Tests for the device triggers of a Sendblue line."""

from typing import Any

import probatio as vol
import pytest
from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_get_device_automations,
)

from custom_components.sendblue import device_trigger
from custom_components.sendblue.const import (
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_TYPING_INDICATOR,
)

from .conftest import CONTACT, LINE_1, LINE_2

pytestmark = pytest.mark.usefixtures("init_integration")


def line_device(
    hass: HomeAssistant, entry: MockConfigEntry, line: str = LINE_1
) -> dr.DeviceEntry:
    """Return the device of a line."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{entry.entry_id}_line_{line}"), entry.entry_id
    )
    assert device is not None
    return device


async def test_get_triggers(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A line device offers both triggers; the account device none."""
    device = line_device(hass, init_integration)
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, device.id
    )
    assert sorted(t["type"] for t in triggers) == ["message_received", "typing_started"]

    account = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, init_integration.entry_id), init_integration.entry_id
    )
    assert account is not None
    account_triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, account.id
    )
    assert [t for t in account_triggers if t["domain"] == DOMAIN] == []


async def test_trigger_capabilities(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Message received has optional sender and text filters; typing none."""
    device = line_device(hass, init_integration)
    base = {"platform": "device", "domain": DOMAIN, "device_id": device.id}
    received = await device_trigger.async_get_trigger_capabilities(
        hass, {**base, "type": "message_received"}
    )
    assert [str(key) for key in received["extra_fields"].schema] == [
        "sender",
        "contains",
        "match",
    ]
    typing = await device_trigger.async_get_trigger_capabilities(
        hass, {**base, "type": "typing_started"}
    )
    assert typing == {}


async def setup_automation(
    hass: HomeAssistant, device_id: str, trigger: dict[str, Any]
) -> list[ServiceCall]:
    """Set up an automation with the trigger and return the calls it makes."""
    calls: list[ServiceCall] = []

    @callback
    def record(call: ServiceCall) -> None:
        calls.append(call)

    hass.services.async_register("test", "automation", record)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "trigger": {
                        "platform": "device",
                        "domain": DOMAIN,
                        "device_id": device_id,
                        **trigger,
                    },
                    "action": {
                        "service": "test.automation",
                        "data_template": {
                            "content": "{{ trigger.event.data.content }}",
                            "type": "{{ trigger.type }}",
                        },
                    },
                }
            ]
        },
    )
    return calls


def fire_received(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    *,
    content: str,
    sender: str = CONTACT,
    line: str = LINE_1,
) -> None:
    """Fire the bus event the webhook fires for an inbound text."""
    hass.bus.async_fire(
        EVENT_MESSAGE_RECEIVED,
        {
            "config_entry_id": entry.entry_id,
            "line": line,
            "from_number": sender,
            "content": content,
        },
    )


async def test_message_received_filters(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Sender and text filters match case-insensitively, on this line only."""
    device = line_device(hass, init_integration)
    calls = await setup_automation(
        hass,
        device.id,
        {"type": "message_received", "sender": CONTACT, "contains": "GARAGE"},
    )

    fire_received(hass, init_integration, content="close the garage please")
    fire_received(hass, init_integration, content="open the door")
    fire_received(hass, init_integration, content="garage", sender="+15550009999")
    fire_received(hass, init_integration, content="garage", line=LINE_2)
    await hass.async_block_till_done()

    assert [call.data["content"] for call in calls] == ["close the garage please"]
    assert calls[0].data["type"] == "message_received"


async def test_message_received_without_filters(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Without filters every text to the line triggers."""
    calls = await setup_automation(
        hass, line_device(hass, init_integration).id, {"type": "message_received"}
    )
    fire_received(hass, init_integration, content="one")
    fire_received(hass, init_integration, content="two", sender="+15550009999")
    await hass.async_block_till_done()
    assert [call.data["content"] for call in calls] == ["one", "two"]


async def test_typing_started(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Typing started triggers on is_typing true only."""
    calls = await setup_automation(
        hass, line_device(hass, init_integration).id, {"type": "typing_started"}
    )
    for is_typing in (True, False):
        hass.bus.async_fire(
            EVENT_TYPING_INDICATOR,
            {
                "config_entry_id": init_integration.entry_id,
                "line": LINE_1,
                "number": CONTACT,
                "is_typing": is_typing,
            },
        )
    await hass.async_block_till_done()
    assert [call.data["type"] for call in calls] == ["typing_started"]


@pytest.mark.parametrize(
    ("match", "text", "expected"),
    [
        ("contains", "GARAGE", ["Open the garage", "garage", "Garage door?"]),
        ("equals", "garage", ["garage"]),
        ("starts_with", "open", ["Open the garage"]),
        ("regex", r"^(open|close) the \w+$", ["Open the garage"]),
    ],
)
async def test_match_modes(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    match: str,
    text: str,
    expected: list[str],
) -> None:
    """Each match mode compares the text its own way, ignoring case."""
    calls = await setup_automation(
        hass,
        line_device(hass, init_integration).id,
        {"type": "message_received", "contains": text, "match": match},
    )
    for content in ("Open the garage", "garage", "Garage door?", "no"):
        fire_received(hass, init_integration, content=content)
    await hass.async_block_till_done()
    assert [call.data["content"] for call in calls] == expected


async def test_invalid_expression_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A regular expression that does not compile fails validation."""
    device = line_device(hass, init_integration)
    config = {
        "platform": "device",
        "domain": DOMAIN,
        "device_id": device.id,
        "type": "message_received",
        "contains": "(open",
        "match": "regex",
    }
    with pytest.raises(vol.Invalid, match="Invalid regular expression"):
        device_trigger.TRIGGER_SCHEMA(config)
    calls = await setup_automation(hass, device.id, config)
    fire_received(hass, init_integration, content="(open")
    await hass.async_block_till_done()
    # The automation was refused, so nothing triggers.
    assert calls == []
    assert device_trigger.TRIGGER_SCHEMA({**config, "contains": "open"})["match"] == (
        "regex"
    )
