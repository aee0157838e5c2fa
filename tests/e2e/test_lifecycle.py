"""A real Home Assistant: an automation made as the UI makes it, then a restart.

Its own Home Assistant and simulator (see conftest.py). The automation test comes
first: the restart test also checks that the automation it saved loads again.
"""

from __future__ import annotations

import pytest

from custom_components.sendblue.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from devtools.common import JsonObject, wait_until
from devtools.rest import HomeAssistantClient
from devtools.simulator import SimulatorClient
from devtools.websocket import HomeAssistantWebSocket

from .conftest import LINE_1, Stack

pytestmark = pytest.mark.e2e

CONTACT = "+15550007776"
AUTOMATION_ID = "e2e_sendblue_lights_on"
AUTOMATION_ALIAS = "Text to turn the lights on"
# What the automation fires, so a websocket subscription sees that it ran.
RAN_EVENT = "e2e_automation_ran"
ACTIVITY = ("_last_received", "_last_sent")


async def _automation_entity(ha: HomeAssistantClient) -> str | None:
    """Return the entity id of the test's automation once it is loaded."""
    return next(
        (
            entity_id
            for entity_id, state in (await ha.states()).items()
            if entity_id.startswith("automation.")
            and state["attributes"].get("id") == AUTOMATION_ID
        ),
        None,
    )


async def _line_activity(ha: HomeAssistantClient, line: str) -> dict[str, JsonObject]:
    """Return the states of a line's activity sensors, found in the REST states."""
    # A line's entity ids are made of its number: sensor.1_512_555_0101_last_sent.
    digits = line.removeprefix("+")
    return {
        entity_id: state
        for entity_id, state in (await ha.states()).items()
        if entity_id.startswith("sensor.")
        and entity_id.endswith(ACTIVITY)
        and digits in entity_id.replace("_", "")
        and state["attributes"].get("device_class") == "timestamp"
    }


async def test_automation_saved_like_the_ui_runs_on_a_text(
    ha: HomeAssistantClient, sim: SimulatorClient, ws: HomeAssistantWebSocket
) -> None:
    """An automation saved through the config API and reloaded fires on a text."""
    await ha.request(
        "POST",
        f"/api/config/automation/config/{AUTOMATION_ID}",
        json_body={
            "alias": AUTOMATION_ALIAS,
            "description": "",
            "triggers": [
                {
                    "trigger": "event",
                    "event_type": EVENT_MESSAGE_RECEIVED,
                    "event_data": {"content": "Lights on"},
                }
            ],
            "conditions": [],
            "actions": [
                {
                    "event": RAN_EVENT,
                    # Words around the numbers: templates render "+1555..." as an int.
                    "event_data": {
                        "said": "{{ trigger.event.data.content }} from "
                        "{{ trigger.event.data.from_number }} to "
                        "{{ trigger.event.data.line }}",
                    },
                }
            ],
            "mode": "queued",
        },
    )
    await ha.call_service("automation", "reload", {})
    entity_id = await wait_until(
        lambda: _automation_entity(ha), within=30, what="the saved automation"
    )
    assert (await ha.states())[entity_id]["state"] == "on"
    ran = await ws.subscribe_events(RAN_EVENT)

    # The trigger matches on the text: another one does not run the automation.
    await sim.inbound(from_number=CONTACT, to_number=LINE_1, content="Lights off")
    await sim.inbound(from_number=CONTACT, to_number=LINE_1, content="Lights on")

    event = await ran.next()
    assert event["data"] == {"said": f"Lights on from {CONTACT} to {LINE_1}"}
    state = (await ha.states())[entity_id]
    assert state["attributes"]["last_triggered"] is not None
    assert ran.pending() == []


async def test_restart_restores_activity_and_automation(
    stack: Stack, ha: HomeAssistantClient, sim: SimulatorClient
) -> None:
    """After SIGTERM and a start on the same config, activity sensors keep values."""
    received = await sim.inbound(
        from_number=CONTACT, to_number=LINE_1, content="Before the restart"
    )
    await ha.call_service(
        DOMAIN,
        "send_message",
        {"to": [CONTACT], "message": "Restarting", "from_number": LINE_1},
        return_response=True,
    )

    async def activity_known() -> dict[str, str] | None:
        states = await _line_activity(ha, LINE_1)
        values = {entity_id: state["state"] for entity_id, state in states.items()}
        known = len(values) == len(ACTIVITY) and "unknown" not in values.values()
        return values if known else None

    before = await wait_until(activity_known, within=30, what="the line's activity")
    assert received["message_handle"]

    assert stack.stop_hass() == 0
    await stack.ensure_ready(ha.session)

    ha = stack.ha_client(ha.session)
    after = {
        entity_id: state["state"]
        for entity_id, state in (await _line_activity(ha, LINE_1)).items()
    }
    assert after == before
    # Saved in automations.yaml by the config API, loaded again at start.
    assert await _automation_entity(ha) is not None
