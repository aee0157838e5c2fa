"""The logbook says who texted and what, on the line's device page."""

from typing import Any

import pytest
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.sendblue.const import (
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
)
from custom_components.sendblue.logbook import excerpt

from .conftest import CONTACT, LINE_1


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Start the recorder before Home Assistant, as it must be."""


async def _logbook(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> list[dict[str, Any]]:
    """Return the logbook entries of Sendblue's events, as the frontend gets them."""
    await async_wait_recording_done(hass)
    client = await hass_ws_client()
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": dt_util.utcnow().replace(year=2000).isoformat(),
            "end_time": dt_util.utcnow().replace(year=2100).isoformat(),
        }
    )
    response = await client.receive_json()
    assert response["success"], response
    return [e for e in response["result"] if e.get("domain") == DOMAIN]


async def test_received_text_in_the_logbook(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A text shows its sender, formatted, and the start of the text."""
    assert await async_setup_component(hass, "logbook", {})
    long_text = "Open the garage please, " * 5
    for content in ("Open the garage", long_text, ""):
        hass.bus.async_fire(
            EVENT_MESSAGE_RECEIVED,
            {
                "config_entry_id": init_integration.entry_id,
                "line": LINE_1,
                "from_number": CONTACT,
                "content": content,
            },
        )
    hass.bus.async_fire(
        EVENT_MESSAGE_STATUS,
        {
            "config_entry_id": init_integration.entry_id,
            "line": LINE_1,
            "number": CONTACT,
            "status": "DELIVERED",
        },
    )
    await hass.async_block_till_done()

    entries = await _logbook(hass, hass_ws_client)
    assert [e["message"] for e in entries] == [
        "got a text from +1 (999) 888-7777: “Open the garage”",
        f"got a text from +1 (999) 888-7777: “{excerpt(long_text)}”",
        "got a picture or file from +1 (999) 888-7777",
        "message to +1 (999) 888-7777 is delivered",
    ]
    assert {e["name"] for e in entries} == {"+1 (512) 216-4639"}
    assert {e["entity_id"] for e in entries} == {"event.1_512_216_4639_messages"}


def test_excerpt() -> None:
    """Long texts are cut on one line with an ellipsis; short ones kept."""
    assert excerpt("Hi\nthere") == "Hi there"
    cut = excerpt("word " * 40)
    assert len(cut) == 60
    assert cut.endswith("…")
