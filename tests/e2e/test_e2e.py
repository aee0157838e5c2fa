"""A real Home Assistant process, set up over its APIs, against the Sendblue simulator.

Run them alone with `pytest -m e2e`. They share one Home Assistant and one simulator
(see conftest.py); every test gets a loaded entry with a recipient, re-created if an
earlier test removed it. The restart tests share one real restart (see restart.py),
with two more entries on simulators of their own. Removing the entry comes after
them, and the log test comes last so that it reads the whole run.
"""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.sendblue.const import (
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
)
from custom_components.sendblue.webhook import WEBHOOK_TYPES
from devtools.rest import HomeAssistantClient
from devtools.simulator import SimulatorClient
from devtools.websocket import HomeAssistantWebSocket

from .conftest import (
    ACTIVITY,
    LINE_1,
    LINE_2,
    RECIPIENT,
    Stack,
    handle_is,
    parse_log,
    save_automation,
    status_events,
)
from .restart import (
    BEFORE_S,
    DOWN_S,
    MODES,
    RATE,
    REFUSED,
    REPLAYED,
    TAKEN,
    Restart,
    RestartOnce,
    registered,
)

# One group: under pytest-xdist (scripts/test) the module runs in order on one
# worker, with its one Home Assistant, while the other workers run the rest.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

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


async def test_config_flow_created_entry_and_recipient(
    stack: Stack, ha: HomeAssistantClient, ws: HomeAssistantWebSocket
) -> None:
    """The config and subentry flows over REST made an entry and a notify entity."""
    [entry] = [e for e in await ha.entries() if e["entry_id"] == stack.entry_id]
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

    event = await received.next(handle_is(message["message_handle"]))

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
    events = await status_events(statuses, sent[0]["message_handle"])
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
    events = await status_events(statuses, handle)
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
    event = await received.next(handle_is(message["message_handle"]))

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


async def test_automation_saved_like_the_ui_runs_on_a_text(
    ha: HomeAssistantClient, sim: SimulatorClient, ws: HomeAssistantWebSocket
) -> None:
    """An automation saved through the config API and reloaded fires on a text."""
    entity_id = await save_automation(
        ha,
        AUTOMATION_ID,
        {
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


@pytest.fixture(scope="module")
def restart_once(e2e_stack: Stack) -> RestartOnce:
    """Return the module's one restart, run when a test first asks for it."""
    return RestartOnce(e2e_stack)


@pytest.fixture
async def restarted(
    restart_once: RestartOnce, stack: Stack, session: aiohttp.ClientSession
) -> Restart:
    """Return what the module's restart showed, restarting first if needed."""
    return await restart_once.observe(session)


@pytest.mark.parametrize("mode", MODES)
async def test_restart_fires_every_text_exactly_once(
    restarted: Restart, mode: str
) -> None:
    """Texts at 5/s across a 10 s restart: one event each, none twice."""
    texts = restarted.texts[mode]

    assert restarted.exit_code == 0
    assert restarted.down >= DOWN_S
    assert len(texts.sent) >= RATE * (DOWN_S + BEFORE_S)
    missing = [handle for handle in texts.sent if handle not in texts.fired]
    assert not missing, f"{len(missing)} of {len(texts.sent)} texts fired no event"
    assert texts.last in texts.fired
    duplicates = {handle: n for handle, n in texts.fired.items() if n > 1}
    assert not duplicates
    print(  # noqa: T201 - the restart figures for bench/results.md
        f"restart[{mode}]: {len(texts.sent)} texts,"
        f" {sum(texts.fired.values()) - 1} events,"
        f" {len(duplicates)} duplicates, down {restarted.down:.1f} s"
    )


async def test_restart_replayed_webhook_deliveries_fire_nothing(
    restarted: Restart,
) -> None:
    """Deliveries that fired before the stop, delivered again after it: no event."""
    replay = restarted.replay
    fired = restarted.texts["webhook"].fired

    assert len(replay.handles) == REPLAYED
    assert [replay.fired_before_stop[handle] for handle in replay.handles] == [
        1
    ] * REPLAYED
    # Accepted (Sendblue would retry a refusal), and fired nothing more.
    assert replay.statuses == [200] * REPLAYED
    assert [fired[handle] for handle in replay.handles] == [1] * REPLAYED


async def test_restart_with_queued_messages_delivers_them_once(
    restarted: Restart,
) -> None:
    """Queued at a SIGTERM, one of them taken by Sendblue: each sent once after."""
    outbox = restarted.outbox

    assert outbox.statuses == ["queued", "queued"]
    assert outbox.queued_at_stop == "2"
    assert outbox.emptied, "the outbox did not empty after the restart"
    assert outbox.sent == sorted([(TAKEN, "Taken, then 503"), (REFUSED, "Refused")])
    assert outbox.taken_posts == 1, "sent again after Sendblue had taken it"


async def test_restart_restores_activity(restarted: Restart) -> None:
    """After SIGTERM and a start on the same config, activity sensors keep values."""
    assert len(restarted.activity_before) == len(ACTIVITY)
    assert "unknown" not in restarted.activity_before.values()
    assert restarted.activity_after == restarted.activity_before


async def test_restart_loads_the_saved_automation_again(restarted: Restart) -> None:
    """An automation saved in automations.yaml by the config API loads at start."""
    assert restarted.automation_after == restarted.automation_saved


async def test_webhook_outlives_the_restart(restarted: Restart) -> None:
    """Stopping keeps Sendblue calling us; the start finds it and adds no other."""
    every_type_once = dict.fromkeys(WEBHOOK_TYPES, 1)
    webhooks = restarted.webhooks

    assert webhooks.before == every_type_once
    assert webhooks.while_down == every_type_once
    assert webhooks.after == every_type_once
    assert webhooks.url_after == webhooks.url


async def test_webhook_outlives_unload_until_removal(
    stack: Stack, session: aiohttp.ClientSession, sim: SimulatorClient
) -> None:
    """Unloading keeps Sendblue calling us; removing the entry stops it."""
    url = stack.webhook_url
    assert url is not None
    assert stack.entry_id is not None
    ha = stack.ha_client(session)
    every_type_once = dict.fromkeys(WEBHOOK_TYPES, 1)
    assert await registered(sim, url) == every_type_once

    # Disabling unloads the entry; Sendblue should keep posting for when it is back.
    async with ha.websocket() as ws:
        await ws.command(
            "config_entries/disable", entry_id=stack.entry_id, disabled_by="user"
        )
        await ha.wait_entry_state(stack.entry_id, "not_loaded")
        assert await registered(sim, url) == every_type_once

        # Enabled again, it finds the registration and does not duplicate it.
        await ws.command(
            "config_entries/disable", entry_id=stack.entry_id, disabled_by=None
        )
    await ha.wait_entry_state(stack.entry_id, "loaded")
    await stack.find_webhook(session)
    assert stack.webhook_url == url
    assert await registered(sim, url) == every_type_once

    await ha.remove_entry(stack.entry_id)
    assert await registered(sim, url) == dict.fromkeys(WEBHOOK_TYPES, 0)
    assert stack.entry_id not in {entry["entry_id"] for entry in await ha.entries()}


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
    keys = [a.account.api_secret_key for a in stack.accounts.values()]
    for secret in (stack.account.api_secret_key, *keys, *stack.webhook_secrets):
        assert secret not in text
