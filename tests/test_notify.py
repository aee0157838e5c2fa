"""Tests for recipient notify entities, their subentries and the legacy service."""

from datetime import timedelta
from unittest.mock import AsyncMock

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.notify import (
    DOMAIN as NOTIFY_DOMAIN,
)
from homeassistant.components.notify import (
    SERVICE_SEND_MESSAGE,
)
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_NAME,
    CONF_WEBHOOK_ID,
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.sendblue.api import (
    Message,
    SendblueAuthenticationError,
    SendblueConnectionError,
    SendblueValidationError,
    SendStyle,
)
from custom_components.sendblue.const import (
    CONF_RECIPIENT_KIND,
    CONF_RECIPIENT_LINE,
    CONF_RECIPIENT_TARGET,
    CONF_RETRY_FOR,
    DOMAIN,
    SUBENTRY_RECIPIENT,
    WEBHOOK_LINES_SCAN_INTERVAL,
)

from .conftest import CONTACT, LINE_1, LINE_2, load_json

MOM = ConfigSubentryData(
    subentry_type=SUBENTRY_RECIPIENT,
    title="Mom",
    unique_id=CONTACT,
    data={
        CONF_RECIPIENT_KIND: "contact",
        CONF_RECIPIENT_TARGET: CONTACT,
        CONF_RECIPIENT_LINE: LINE_2,
    },
)
FAMILY = ConfigSubentryData(
    subentry_type=SUBENTRY_RECIPIENT,
    title="Family",
    unique_id="sb_group_family",
    data={
        CONF_RECIPIENT_KIND: "group",
        CONF_RECIPIENT_TARGET: "sb_group_family",
        CONF_RECIPIENT_LINE: None,
    },
)


@pytest.fixture
def mock_config_entry(mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """Return the entry with two saved recipients."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        subentries_data=[MOM, FAMILY],
    )


@pytest.fixture
def sent(mock_sendblue_client: AsyncMock) -> AsyncMock:
    """Make sends succeed with the documented response."""
    message = Message.from_dict(load_json("webhook_status_sent.json"))
    mock_sendblue_client.send_message.return_value = message
    mock_sendblue_client.send_group_message.return_value = message
    return mock_sendblue_client


@pytest.mark.usefixtures("init_integration")
async def test_notify_entity_sends(hass: HomeAssistant, sent: AsyncMock) -> None:
    """notify.send_message reaches the recipient from its line, title first."""
    entity_id = "notify.mom"
    assert hass.states.get(entity_id).state == STATE_UNKNOWN

    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: entity_id, "message": "Garage is open", "title": "Alert"},
        blocking=True,
    )

    sent.send_message.assert_awaited_once_with(
        number=CONTACT,
        from_number=LINE_2,
        content="Alert\nGarage is open",
        media_url=None,
        send_style=None,
        reply_to=None,
    )
    assert hass.states.get(entity_id).state != STATE_UNKNOWN


@pytest.mark.usefixtures("init_integration")
async def test_notify_entity_group(hass: HomeAssistant, sent: AsyncMock) -> None:
    """A group recipient sends a group message from the default line."""
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: "notify.family", "message": "Dinner!"},
        blocking=True,
    )
    sent.send_group_message.assert_awaited_once_with(
        from_number=LINE_1,
        group_id="sb_group_family",
        content="Dinner!",
        media_url=None,
        send_style=None,
        reply_to=None,
    )


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("error", "key"),
    [
        (SendblueValidationError("no such line", status=400), "rejected"),
        (SendblueAuthenticationError("no"), "authentication_error"),
    ],
)
async def test_notify_entity_errors(
    hass: HomeAssistant,
    mock_sendblue_client: AsyncMock,
    error: Exception,
    key: str,
) -> None:
    """Failures surface as translated errors."""
    mock_sendblue_client.send_message.side_effect = error
    with pytest.raises(HomeAssistantError) as excinfo:
        await hass.services.async_call(
            NOTIFY_DOMAIN,
            SERVICE_SEND_MESSAGE,
            {ATTR_ENTITY_ID: "notify.mom", "message": "hi"},
            blocking=True,
        )
    assert excinfo.value.translation_key == key


@pytest.mark.usefixtures("init_integration")
async def test_legacy_service(hass: HomeAssistant, sent: AsyncMock) -> None:
    """notify.sendblue sends to numbers and groups with data options."""
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        DOMAIN,
        {
            "message": "Motion at the door",
            "title": "Doorbell",
            "target": [CONTACT, "sb_group_family"],
            "data": {
                "media_url": "https://cdn.example.com/snap.jpg",
                "send_style": "slam",
                "from_number": LINE_2,
            },
        },
        blocking=True,
    )
    sent.send_message.assert_awaited_once_with(
        number=CONTACT,
        from_number=LINE_2,
        content="Doorbell\nMotion at the door",
        media_url="https://cdn.example.com/snap.jpg",
        send_style=SendStyle.SLAM,
        reply_to=None,
    )
    assert sent.send_group_message.await_args.kwargs["group_id"] == "sb_group_family"


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"message": "hi"}, "no_recipient"),
        ({"message": "hi", "target": ["+1555"]}, "invalid_number"),
        ({"message": "hi", "target": [CONTACT, "bad@"]}, "invalid_number"),
        ({"message": "", "target": [CONTACT]}, "nothing_to_send"),
        (
            {"message": "hi", "target": [CONTACT], "data": {"send_style": "wobble"}},
            "invalid_send_style",
        ),
        (
            {"message": "hi", "target": [CONTACT], "data": {"from_number": "+1999"}},
            "unknown_line",
        ),
        (
            {"message": "hi", "target": [CONTACT], "data": {"retry_for": "-0:05"}},
            "invalid_retry_for",
        ),
    ],
)
async def test_legacy_service_validation(
    hass: HomeAssistant, sent: AsyncMock, data: dict[str, object], key: str
) -> None:
    """Bad input sends nothing and names the problem."""
    with pytest.raises(ServiceValidationError) as excinfo:
        await hass.services.async_call(NOTIFY_DOMAIN, DOMAIN, data, blocking=True)
    assert excinfo.value.translation_key == key
    sent.send_message.assert_not_called()


@pytest.mark.usefixtures("init_integration")
async def test_legacy_service_retry_for(
    hass: HomeAssistant, mock_sendblue_client: AsyncMock
) -> None:
    """data.retry_for: 0 fails at once as before; otherwise the send is queued."""
    mock_sendblue_client.send_message.side_effect = SendblueConnectionError("down")
    call = {"message": "Leak!", "target": [CONTACT]}
    with pytest.raises(HomeAssistantError) as excinfo:
        await hass.services.async_call(
            NOTIFY_DOMAIN, DOMAIN, {**call, "data": {"retry_for": 0}}, blocking=True
        )
    assert excinfo.value.translation_key == "connection_error"

    await hass.services.async_call(
        NOTIFY_DOMAIN,
        DOMAIN,
        {**call, "data": {"retry_for": "00:05:00"}},
        blocking=True,
    )
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.runtime_data.outbox.queued == 1


@pytest.mark.usefixtures("init_integration")
async def test_notify_entity_queues_while_sendblue_is_down(
    hass: HomeAssistant, mock_sendblue_client: AsyncMock
) -> None:
    """A notify entity keeps trying as the entry's option says; it does not fail."""
    mock_sendblue_client.send_message.side_effect = SendblueConnectionError("down")
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: "notify.mom", "message": "hi"},
        blocking=True,
    )
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.runtime_data.outbox.queued == 1
    state = hass.states.get("sensor.owner_example_com_queued_messages")
    assert state is not None
    assert state.state == "1"


async def test_legacy_service_second_entry(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sent: AsyncMock,
) -> None:
    """A second account gets notify.<its title>; unloading removes it."""
    second = MockConfigEntry(
        domain=DOMAIN,
        title="Office Line",
        unique_id="other-key",
        data={**init_integration.data, CONF_WEBHOOK_ID: "second-webhook"},
    )
    second.add_to_hass(hass)
    await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done()
    assert hass.services.has_service(NOTIFY_DOMAIN, DOMAIN)
    assert hass.services.has_service(NOTIFY_DOMAIN, "office_line")

    await hass.config_entries.async_unload(second.entry_id)
    await hass.async_block_till_done()
    assert not hass.services.has_service(NOTIFY_DOMAIN, "office_line")
    assert hass.services.has_service(NOTIFY_DOMAIN, DOMAIN)


async def test_subentry_add_and_remove(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sent: AsyncMock,
) -> None:
    """Adding a recipient in the UI adds its entity; removing it drops it."""
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, SUBENTRY_RECIPIENT),
        context={"source": "user"},
    )
    assert result["type"] is FlowResultType.FORM

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Neighbour",
            CONF_RECIPIENT_KIND: "contact",
            CONF_RECIPIENT_TARGET: "+1 555",
        },
    )
    assert result["errors"] == {CONF_RECIPIENT_TARGET: "invalid_recipient"}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Neighbour",
            CONF_RECIPIENT_KIND: "contact",
            CONF_RECIPIENT_TARGET: " +15550001111 ",
            CONF_RECIPIENT_LINE: LINE_2,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert hass.states.get("notify.neighbour") is not None

    subentry_id = next(
        sid
        for sid, sub in init_integration.subentries.items()
        if sub.title == "Neighbour"
    )
    assert init_integration.subentries[subentry_id].data == {
        CONF_RECIPIENT_KIND: "contact",
        CONF_RECIPIENT_TARGET: "+15550001111",
        CONF_RECIPIENT_LINE: LINE_2,
    }
    hass.config_entries.async_remove_subentry(init_integration, subentry_id)
    await hass.async_block_till_done()
    assert hass.states.get("notify.neighbour") is None


@pytest.mark.usefixtures("sent")
async def test_subentry_duplicate_and_reconfigure(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The same target twice aborts; reconfigure changes name and line."""
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, SUBENTRY_RECIPIENT),
        context={"source": "user"},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Mother",
            CONF_RECIPIENT_KIND: "contact",
            CONF_RECIPIENT_TARGET: CONTACT,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    mom_id = next(
        sid for sid, sub in init_integration.subentries.items() if sub.title == "Mom"
    )
    result = await init_integration.start_subentry_reconfigure_flow(hass, mom_id)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Mum",
            CONF_RECIPIENT_KIND: "group",
            CONF_RECIPIENT_TARGET: "sb_group_mum",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = init_integration.subentries[mom_id]
    assert subentry.title == "Mum"
    assert subentry.data[CONF_RECIPIENT_KIND] == "group"
    assert subentry.data[CONF_RECIPIENT_LINE] is None


@pytest.mark.usefixtures("sent")
async def test_subentry_form_errors(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A blank name or a bad number is refused on add and on reconfigure."""
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, SUBENTRY_RECIPIENT),
        context={"source": "user"},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: "  ", CONF_RECIPIENT_KIND: "group", CONF_RECIPIENT_TARGET: "g1"},
    )
    assert result["errors"] == {"base": "name_and_target_required"}

    mom_id = next(
        sid for sid, sub in init_integration.subentries.items() if sub.title == "Mom"
    )
    result = await init_integration.start_subentry_reconfigure_flow(hass, mom_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: "Mom", CONF_RECIPIENT_KIND: "contact", CONF_RECIPIENT_TARGET: "x"},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_RECIPIENT_TARGET: "invalid_recipient"}


async def test_entity_follows_reachability(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sent: AsyncMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without the outbox a failed poll makes recipients unavailable, for a minute."""
    hass.config_entries.async_update_entry(
        init_integration, options={CONF_RETRY_FOR: 0}
    )
    await hass.async_block_till_done()
    sent.list_lines.side_effect = SendblueConnectionError("down")
    freezer.tick(WEBHOOK_LINES_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get("notify.mom").state == STATE_UNAVAILABLE

    # Sendblue is back; the coordinator asks again after 30 s, not 5 minutes.
    sent.list_lines.side_effect = None
    freezer.tick(timedelta(seconds=30))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get("notify.mom").state != STATE_UNAVAILABLE


@pytest.mark.usefixtures("init_integration")
async def test_entity_takes_messages_for_the_outbox_while_down(
    hass: HomeAssistant, sent: AsyncMock, freezer: FrozenDateTimeFactory
) -> None:
    """With the outbox on, a recipient stays available while Sendblue is down.

    Home Assistant drops a message sent to an unavailable entity; this one is kept
    and goes out when Sendblue is back.
    """
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    sent.list_lines.side_effect = SendblueConnectionError("down")
    sent.send_message.side_effect = SendblueConnectionError("down")
    freezer.tick(WEBHOOK_LINES_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert not entry.runtime_data.coordinator.last_update_success
    assert hass.states.get("notify.mom").state != STATE_UNAVAILABLE

    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: "notify.mom", "message": "Smoke in the kitchen"},
        blocking=True,
    )
    assert entry.runtime_data.outbox.queued == 1


@pytest.mark.usefixtures("init_integration")
async def test_failed_polls_back_off(
    hass: HomeAssistant, sent: AsyncMock, freezer: FrozenDateTimeFactory
) -> None:
    """Retries come after 30 s, then every minute; then the webhook's 30 minutes."""
    coordinator = hass.config_entries.async_entries(DOMAIN)[0].runtime_data.coordinator
    sent.list_lines.side_effect = SendblueConnectionError("down")
    waits = []
    interval = WEBHOOK_LINES_SCAN_INTERVAL
    for _ in range(7):
        freezer.tick(interval)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        interval = coordinator.update_interval
        waits.append(interval.total_seconds())
    assert waits == [30, 60, 60, 60, 60, 60, 60]

    sent.list_lines.side_effect = None
    freezer.tick(interval)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert coordinator.update_interval == WEBHOOK_LINES_SCAN_INTERVAL


@pytest.mark.usefixtures("init_integration")
async def test_send_while_polls_fail_refreshes(
    hass: HomeAssistant, sent: AsyncMock, freezer: FrozenDateTimeFactory
) -> None:
    """A send that works while polls fail asks for a poll at once."""
    sent.list_lines.side_effect = SendblueConnectionError("down")
    freezer.tick(WEBHOOK_LINES_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    sent.list_lines.side_effect = None
    polls = sent.list_lines.await_count

    await hass.services.async_call(
        NOTIFY_DOMAIN, DOMAIN, {"message": "hi", "target": [CONTACT]}, blocking=True
    )
    await hass.async_block_till_done()

    assert sent.list_lines.await_count == polls + 1
    assert hass.states.get("notify.mom").state != STATE_UNAVAILABLE


@pytest.mark.usefixtures("init_integration")
async def test_one_state_write_per_notification(
    hass: HomeAssistant, sent: AsyncMock
) -> None:
    """Each notification writes the entity's state once."""
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    for text in ("one", "two"):
        await hass.services.async_call(
            NOTIFY_DOMAIN,
            SERVICE_SEND_MESSAGE,
            {ATTR_ENTITY_ID: "notify.mom", "message": text},
            blocking=True,
        )
    await hass.async_block_till_done()
    assert [e.data["entity_id"] for e in changes] == ["notify.mom", "notify.mom"]


@pytest.mark.usefixtures("init_integration")
async def test_legacy_notify_reads_formatted_numbers(
    hass: HomeAssistant, sent: AsyncMock
) -> None:
    """Numbers as people write them go out in E.164; empty rows are dropped."""
    hass.config.country = "US"
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        DOMAIN,
        {
            "message": "hi",
            "target": ["+1 512 555 0199", "(512) 555-0199", "512.555.0199", " ", ""],
        },
        blocking=True,
    )
    sent.send_message.assert_awaited_once()
    assert sent.send_message.await_args.kwargs["number"] == "+15125550199"
    sent.send_group_message.assert_not_called()


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("country", "target"),
    [
        ("US", "555-1234"),  # no area code: which one?
        (None, "(512) 555-0199"),  # no home country to read it in
        ("US", "+1 512 555"),  # too short for E.164
        ("US", "call mom"),  # neither a number nor a group id
    ],
)
async def test_legacy_notify_refuses_ambiguous_numbers(
    hass: HomeAssistant, sent: AsyncMock, country: str | None, target: str
) -> None:
    """A number that cannot be read is an error naming the field, never a group."""
    hass.config.country = country
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            NOTIFY_DOMAIN,
            DOMAIN,
            {"message": "hi", "target": [CONTACT, target]},
            blocking=True,
        )
    assert err.value.translation_key == "invalid_number"
    assert err.value.translation_placeholders == {
        "field": "Target",
        "number": target.strip(),
    }
    sent.send_message.assert_not_called()
    sent.send_group_message.assert_not_called()


@pytest.mark.usefixtures("init_integration")
async def test_legacy_notify_group_ids(hass: HomeAssistant, sent: AsyncMock) -> None:
    """Only a target shaped like a Sendblue group id goes to a group."""
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        DOMAIN,
        {"message": "hi", "target": ["sb_group_608acc54-1f", "me@icloud.com"]},
        blocking=True,
    )
    assert sent.send_group_message.await_args.kwargs["group_id"] == (
        "sb_group_608acc54-1f"
    )
    assert sent.send_message.await_args.kwargs["number"] == "me@icloud.com"
