"""A real Home Assistant process, set up over its APIs, against the Sendblue simulator.

Run them alone with `pytest -m e2e`. They share one Home Assistant and one simulator
(see conftest.py); every test gets a loaded entry with a recipient, re-created if an
earlier test removed it. The automation test comes before the restart test, which
also checks that the automation loads again; the log test comes last so that it
reads the whole run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import aiohttp
import pytest

from custom_components.sendblue.const import (
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
)
from custom_components.sendblue.webhook import WEBHOOK_TYPES
from devtools.common import JsonObject, wait_until
from devtools.rest import HomeAssistantClient
from devtools.simulator import SimulatorClient
from devtools.websocket import EventSubscription, HomeAssistantWebSocket

from .conftest import LINE_1, LINE_2, RECIPIENT, Stack, parse_log

pytestmark = pytest.mark.e2e

CONTACT = "+15550001112"
OTHER_CONTACT = "+15550003334"
RECEIVED_FIELDS = {
    "message_handle",
    "content",
    "media_url",
    "from_number",
    "to_number",
    "service",
    "is_group",
    "group_id",
    "group_display_name",
    "participants",
    "date_sent",
    "config_entry_id",
    "line",
    "payload",
}
STATUS_STEPS = ["QUEUED", "SENT", "DELIVERED"]
AUTOMATION_CONTACT = "+15550007776"
AUTOMATION_ID = "e2e_sendblue_lights_on"
AUTOMATION_ALIAS = "Text to turn the lights on"
# What the automation fires, so a websocket subscription sees that it ran.
RAN_EVENT = "e2e_automation_ran"
ACTIVITY = ("_last_received", "_last_sent")
SEND_PATH = "/api/send-message"
# Recipients of the restart with a non-empty outbox.
TAKEN = "+15550004440"
REFUSED = "+15550004442"


def _shown(when: str) -> str:
    """Return how a timestamp sensor shows a time from Sendblue (whole seconds, UTC)."""
    return datetime.fromisoformat(when).astimezone(UTC).isoformat(timespec="seconds")


def _handle_is(handle: str) -> Callable[[JsonObject], bool]:
    """Return a predicate matching events about one message."""
    return lambda event: event["data"]["message_handle"] == handle


async def _status_events(
    subscription: EventSubscription, handle: str
) -> list[JsonObject]:
    """Collect the status events of a message until it is delivered."""
    events = [await subscription.next(_handle_is(handle))]
    while events[-1]["data"]["status"] != "DELIVERED":
        events.append(await subscription.next(_handle_is(handle)))
    return events


async def test_config_flow_created_entry_and_recipient(
    stack: Stack, ha: HomeAssistantClient, ws: HomeAssistantWebSocket
) -> None:
    """The config and subentry flows over REST made an entry and a notify entity."""
    [entry] = await ha.entries()
    assert entry["entry_id"] == stack.entry_id
    assert entry["state"] == "loaded"
    # The title is the account's e-mail, as /account of the simulator reports it.
    assert entry["title"] == "demo@example.com"
    subentries = await ws.command(
        "config_entries/subentries/list", entry_id=stack.entry_id
    )
    assert [(sub["subentry_type"], sub["title"]) for sub in subentries] == [
        ("recipient", RECIPIENT.name)
    ]
    assert subentries[0]["unique_id"] == RECIPIENT.target
    assert stack.notify_entity is not None
    assert stack.notify_entity.startswith("notify.")


async def test_webhook_registered_with_secret(
    stack: Stack, sim: SimulatorClient
) -> None:
    """Sendblue (the simulator) calls Home Assistant's URL with the entry's secret."""
    assert stack.webhook_url is not None
    assert stack.webhook_url.startswith(f"{stack.ha_url}/api/webhook/")
    registered = await sim.webhooks_for(stack.webhook_url)
    assert set(registered) == set(WEBHOOK_TYPES)
    secrets = {hook["secret"] for hooks in registered.values() for hook in hooks}
    assert all(len(hooks) == 1 for hooks in registered.values()), registered
    # One secret for all three types, long enough not to be guessed.
    assert len(secrets) == 1
    assert len(secrets.pop()) >= 32


async def test_inbound_text_fires_event(
    stack: Stack, sim: SimulatorClient, ws: HomeAssistantWebSocket
) -> None:
    """A text to a line fires sendblue_message_received with the documented fields."""
    received = await ws.subscribe_events(EVENT_MESSAGE_RECEIVED)
    message = await sim.inbound(
        from_number=CONTACT, to_number=LINE_1, content="Is the garage door shut?"
    )

    event = await received.next(_handle_is(message["message_handle"]))

    data = event["data"]
    assert set(data) >= RECEIVED_FIELDS
    assert data["content"] == "Is the garage door shut?"
    assert data["from_number"] == CONTACT
    assert data["to_number"] == LINE_1
    assert data["line"] == LINE_1
    assert data["config_entry_id"] == stack.entry_id
    assert data["service"] == message["service"]
    assert data["is_group"] is False
    assert data["participants"] == message["participants"]
    assert data["date_sent"]
    assert data["payload"]["message_handle"] == message["message_handle"]
    assert event["origin"] == "LOCAL"


async def test_forged_webhook_call_fires_nothing(
    stack: Stack,
    session: aiohttp.ClientSession,
    sim: SimulatorClient,
    ws: HomeAssistantWebSocket,
) -> None:
    """Calls without the secret, or with a wrong one, get 401 and fire no event."""
    assert stack.webhook_url is not None
    received = await ws.subscribe_events(EVENT_MESSAGE_RECEIVED)
    forged = {
        "accountEmail": "demo@example.com",
        "content": "Open the garage",
        "is_outbound": False,
        "status": "RECEIVED",
        "message_handle": "forged-handle-1",
        "date_sent": "2026-01-01T12:00:00.000Z",
        "date_updated": "2026-01-01T12:00:00.000Z",
        "from_number": CONTACT,
        "number": CONTACT,
        "to_number": LINE_1,
        "sendblue_number": LINE_1,
        "service": "iMessage",
    }
    for headers in ({}, {"sb-signing-secret": "not-the-secret"}):
        async with session.post(stack.webhook_url, json=forged, headers=headers) as r:
            assert r.status == 401

    # Events arrive in order: the first one after the forgeries is the real text.
    message = await sim.inbound(from_number=CONTACT, to_number=LINE_1, content="Real")
    event = await received.next()
    assert event["data"]["message_handle"] == message["message_handle"]

    # The control: the same body with the secret is accepted, so only it was missing.
    assert stack.webhook_secret is not None
    signed = {"sb-signing-secret": stack.webhook_secret}
    async with session.post(stack.webhook_url, json=forged, headers=signed) as r:
        assert r.status == 200
    event = await received.next()
    assert event["data"]["message_handle"] == "forged-handle-1"


async def test_notify_entity_reaches_simulator_with_statuses(
    stack: Stack,
    ha: HomeAssistantClient,
    sim: SimulatorClient,
    ws: HomeAssistantWebSocket,
) -> None:
    """notify.send_message on the recipient sends, and each status fires an event."""
    statuses = await ws.subscribe_events(EVENT_MESSAGE_STATUS)
    await ha.call_service(
        "notify",
        "send_message",
        {
            "entity_id": stack.notify_entity,
            "title": "Garage",
            "message": "The door is open",
        },
    )

    sent = [
        message
        for message in await sim.state("messages")
        if message["is_outbound"] and message["content"] == "Garage\nThe door is open"
    ]
    assert len(sent) == 1
    assert sent[0]["number"] == RECIPIENT.target
    assert sent[0]["from_number"] == RECIPIENT.line
    events = await _status_events(statuses, sent[0]["message_handle"])
    assert [event["data"]["status"] for event in events] == STATUS_STEPS
    assert {event["data"]["line"] for event in events} == {RECIPIENT.line}


async def test_send_message_action_reaches_simulator_with_statuses(
    ha: HomeAssistantClient, sim: SimulatorClient, ws: HomeAssistantWebSocket
) -> None:
    """sendblue.send_message sends, answers the handle, and statuses follow."""
    statuses = await ws.subscribe_events(EVENT_MESSAGE_STATUS)
    response = await ha.call_service(
        "sendblue",
        "send_message",
        {"to": [CONTACT], "message": "Dinner at 7", "from_number": LINE_2},
        return_response=True,
    )

    [result] = response["messages"]
    assert result["to"] == CONTACT
    handle = result["message_handle"]
    messages = {
        message["message_handle"]: message for message in await sim.state("messages")
    }
    assert messages[handle]["content"] == "Dinner at 7"
    assert messages[handle]["number"] == CONTACT
    assert messages[handle]["from_number"] == LINE_2
    events = await _status_events(statuses, handle)
    assert [event["data"]["status"] for event in events] == STATUS_STEPS
    assert {event["data"]["line"] for event in events} == {LINE_2}
    assert {event["data"]["number"] for event in events} == {CONTACT}


async def test_send_reaction_on_received_message(
    ha: HomeAssistantClient, sim: SimulatorClient, ws: HomeAssistantWebSocket
) -> None:
    """A tapback on a received message goes out through the line that received it."""
    received = await ws.subscribe_events(EVENT_MESSAGE_RECEIVED)
    message = await sim.inbound(
        from_number=OTHER_CONTACT, to_number=LINE_2, content="Thanks!"
    )
    event = await received.next(_handle_is(message["message_handle"]))

    await ha.call_service(
        "sendblue",
        "send_reaction",
        {"message_handle": event["data"]["message_handle"], "reaction": "love"},
    )

    reactions = [
        reaction
        for reaction in await sim.state("reactions")
        if reaction["message_handle"] == message["message_handle"]
    ]
    assert len(reactions) == 1
    assert reactions[0]["reaction"] == "love"
    # No from_number given: the integration remembered which line has the chat.
    assert reactions[0]["from_number"] == LINE_2


async def test_line_devices_and_sensors(
    stack: Stack, ha: HomeAssistantClient, ws: HomeAssistantWebSocket
) -> None:
    """The account and each line are devices; each line has its sensors with states."""
    devices = [
        device
        for device in await ws.command("config/device_registry/list")
        if stack.entry_id in device["config_entries"]
    ]
    by_identifier = {
        identifier[1]: device
        for device in devices
        for identifier in device["identifiers"]
        if identifier[0] == "sendblue"
    }
    account = by_identifier[stack.entry_id]
    assert account["entry_type"] == "service"
    states = await ha.states()
    entities = await ws.command("config/entity_registry/list")
    for line in (LINE_1, LINE_2):
        device = by_identifier[f"{stack.entry_id}_line_{line}"]
        assert device["via_device_id"] == account["id"]
        assert device["serial_number"] == line
        sensors = {
            entity["entity_id"]
            for entity in entities
            if entity["device_id"] == device["id"]
            and entity["entity_id"].startswith("sensor.")
            and entity["disabled_by"] is None
        }
        assert len(sensors) >= 3, sensors
        for entity_id in sensors:
            assert entity_id in states, entity_id
            assert states[entity_id]["state"] != "unavailable", states[entity_id]
        status = next(s for s in sensors if s.endswith("_status"))
        assert states[status]["state"] not in {"unknown", "unavailable"}


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
    await sim.inbound(
        from_number=AUTOMATION_CONTACT, to_number=LINE_1, content="Lights off"
    )
    await sim.inbound(
        from_number=AUTOMATION_CONTACT, to_number=LINE_1, content="Lights on"
    )

    event = await ran.next()
    assert event["data"] == {"said": f"Lights on from {AUTOMATION_CONTACT} to {LINE_1}"}
    state = (await ha.states())[entity_id]
    assert state["attributes"]["last_triggered"] is not None
    assert ran.pending() == []


async def test_restart_restores_activity_and_automation(
    stack: Stack, ha: HomeAssistantClient, sim: SimulatorClient
) -> None:
    """After SIGTERM and a start on the same config, activity sensors keep values."""
    # Closed before the stop: Home Assistant waits up to 10 s for open connections.
    async with ha.websocket() as ws:
        received = await ws.subscribe_events(EVENT_MESSAGE_RECEIVED)
        statuses = await ws.subscribe_events(EVENT_MESSAGE_STATUS)
        message = await sim.inbound(
            from_number=AUTOMATION_CONTACT,
            to_number=LINE_1,
            content="Before the restart",
        )
        response = await ha.call_service(
            DOMAIN,
            "send_message",
            {
                "to": [AUTOMATION_CONTACT],
                "message": "Restarting",
                "from_number": LINE_1,
            },
            return_response=True,
        )
        # Nothing is on its way to the line any more: what is read now is saved.
        text = await received.next(_handle_is(message["message_handle"]))
        sent = await _status_events(statuses, response["messages"][0]["message_handle"])
    # The activity sensors write at most once a second: read them once they show
    # this text and this send, which is what the restart must bring back.
    shown = {
        "_last_received": _shown(text["data"]["date_sent"]),
        "_last_sent": max(
            _shown(event["data"]["payload"]["date_sent"]) for event in sent
        ),
    }

    async def caught_up() -> dict[str, str] | None:
        states = {
            entity_id: state["state"]
            for entity_id, state in (await _line_activity(ha, LINE_1)).items()
        }
        showing = {
            suffix: state
            for suffix in ACTIVITY
            for entity_id, state in states.items()
            if entity_id.endswith(suffix)
        }
        return states if showing == shown else None

    before = await wait_until(caught_up, within=10, what="the activity sensors")

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


async def _queued(ha: HomeAssistantClient) -> str | None:
    """Return the state of the account's queued-messages sensor."""
    return next(
        (
            state["state"]
            for entity_id, state in (await ha.states()).items()
            if entity_id.startswith("sensor.")
            and entity_id.endswith("_queued_messages")
        ),
        None,
    )


async def test_restart_with_queued_messages_delivers_them_once(
    stack: Stack, ha: HomeAssistantClient, sim: SimulatorClient
) -> None:
    """Queued at a SIGTERM, one of them taken by Sendblue: each sent once after."""
    # The first send is taken, then answered 503; every other call fails before.
    await sim.add_fault(kind="unavailable", count=1, after=True, path_prefix=SEND_PATH)
    await sim.add_fault(kind="unavailable", probability=1.0, path_prefix="/api/")
    try:
        for number, text in ((TAKEN, "Taken, then 503"), (REFUSED, "Refused")):
            response = await ha.call_service(
                DOMAIN,
                "send_message",
                {"to": [number], "message": text, "from_number": LINE_1},
                return_response=True,
            )
            assert [r["status"] for r in response["messages"]] == ["queued"]
        assert await _queued(ha) == "2"
        assert stack.stop_hass() == 0
    finally:
        await sim.clear_faults()

    await stack.ensure_ready(ha.session)
    ha = stack.ha_client(ha.session)

    async def emptied() -> bool | None:
        return True if await _queued(ha) == "0" else None

    # Tried again once its wait after the 503s is over (30 s after them).
    await wait_until(emptied, within=90, what="the outbox emptied after the restart")
    sent = [
        (message["number"], message["content"])
        for message in await sim.state("messages")
        if message["is_outbound"] and message["number"] in {TAKEN, REFUSED}
    ]
    assert sorted(sent) == [(TAKEN, "Taken, then 503"), (REFUSED, "Refused")]
    taken_posts = [
        request
        for request in await sim.state("requests")
        if request["path"] == SEND_PATH and request["json"]["number"] == TAKEN
    ]
    assert len(taken_posts) == 1, "sent again after Sendblue had taken it"


async def test_webhook_outlives_unload_and_stop_until_removal(
    stack: Stack, session: aiohttp.ClientSession, sim: SimulatorClient
) -> None:
    """Unloading or stopping keeps Sendblue calling us; removing the entry stops it."""
    url = stack.webhook_url
    assert url is not None
    ha = stack.ha_client(session)

    async def registered() -> dict[str, int]:
        hooks = await sim.webhooks_for(url)
        return {kind: len(found) for kind, found in hooks.items()}

    every_type_once = dict.fromkeys(WEBHOOK_TYPES, 1)
    assert await registered() == every_type_once

    # Disabling unloads the entry; Sendblue should keep posting for when it is back.
    async with ha.websocket() as ws:
        await ws.command(
            "config_entries/disable", entry_id=stack.entry_id, disabled_by="user"
        )
    [entry] = await ha.entries()
    assert entry["state"] == "not_loaded"
    assert await registered() == every_type_once

    assert stack.stop_hass() == 0
    assert await registered() == every_type_once

    # A restart (and re-enabling) finds the registration and does not duplicate it.
    await stack.ensure_ready(session)
    assert stack.webhook_url == url
    assert await registered() == every_type_once

    ha = stack.ha_client(session)
    assert stack.entry_id is not None
    await ha.remove_entry(stack.entry_id)
    assert await registered() == dict.fromkeys(WEBHOOK_TYPES, 0)
    assert await ha.entries() == []


async def test_log_has_no_integration_errors_or_secrets(stack: Stack) -> None:
    """Home Assistant's whole log: no error from the integration, no secret."""
    assert stack.stop_hass() == 0
    assert stack.hass is not None
    assert stack.account is not None
    text = stack.hass.log_text()
    records = parse_log(text)
    # The right log: the integration was set up and logged at debug level.
    assert any("Setting up sendblue" in record.text for record in records)
    assert any(
        record.logger.startswith("custom_components.sendblue") for record in records
    )

    problems = [
        record.text
        for record in records
        if (
            record.level in {"ERROR", "CRITICAL"}
            and (
                record.logger.startswith("custom_components.sendblue")
                or "sendblue" in record.text.lower()
            )
        )
        # Deprecations and blocking calls Home Assistant pins on the integration.
        or "custom integration 'sendblue'" in record.text
    ]
    assert problems == []

    assert stack.webhook_secrets
    for secret in (stack.account.api_secret_key, *stack.webhook_secrets):
        assert secret not in text
