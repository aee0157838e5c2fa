"""Logs never name the account or a phone number; dropped texts leave a trace."""

import logging
from http import HTTPStatus
from unittest.mock import AsyncMock

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sendblue.api import (
    MessagesPage,
    SendblueConnectionError,
    SendblueValidationError,
)
from custom_components.sendblue.const import (
    CONF_ALLOWED_SENDERS,
    CONF_ASSIST,
    CONF_POLLING_INTERVAL,
    CONF_RECEIVE_MODE,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    ReceiveMode,
)
from sendblue_simulator import Simulator

from .conftest import (
    CONTACT,
    EMAIL,
    LINE_1,
    LINE_2,
    WEBHOOK_ID,
    WEBHOOK_SECRET,
    load_json,
)
from .test_receive import (
    WITHIN,
    Backoff,
    Bus,
    backoff,  # noqa: F401 - the fixture
    entry_for,
    set_up,
    sim,  # noqa: F401 - the fixture
    tick,
    unload,
)

STRANGER = "+15550009999"
# Every form an address could take in a log line.
PRIVATE = [
    EMAIL,
    CONTACT,
    STRANGER,
    LINE_1,
    LINE_2,
    *(number.removeprefix("+") for number in (CONTACT, STRANGER, LINE_1, LINE_2)),
    "(512) 216-4639",
    "(999) 888-7777",
]


def _our_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the records the integration wrote (not Home Assistant's own)."""
    return [
        record
        for record in caplog.records
        if record.name.startswith(("custom_components.sendblue", DOMAIN))
    ]


def _assert_private(caplog: pytest.LogCaptureFixture) -> None:
    """Fail if a record of ours names the account or a number."""
    records = _our_records(caplog)
    assert records, "the scenario wrote no log line of ours: it proves nothing"
    for record in records:
        text = record.getMessage()
        assert not [item for item in PRIVATE if item in text], text


@pytest.mark.parametrize(
    "options",
    [
        {
            CONF_ALLOWED_SENDERS: [CONTACT],
            CONF_ASSIST: True,
        }
    ],
)
async def test_webhook_logs_are_private(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    external_url: str,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    options: dict[str, object],
) -> None:
    """Refused calls, strangers' texts and failed answers log no address."""
    caplog.set_level(logging.DEBUG, logger="custom_components.sendblue")
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    mock_sendblue_client.mark_read.side_effect = SendblueValidationError("no")
    mock_sendblue_client.send_message.side_effect = SendblueValidationError("no")
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options=options)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    client = await hass_client_no_auth()
    path = f"/api/webhook/{WEBHOOK_ID}"
    body = load_json("webhook_message_received.json")

    response = await client.post(path, json=body, headers={"sb-signing-secret": "x"})
    assert response.status == HTTPStatus.UNAUTHORIZED
    headers = {"sb-signing-secret": WEBHOOK_SECRET}
    for handle, sender in (("H1", STRANGER), ("H2", CONTACT)):
        stranger = {**body, "message_handle": handle, "from_number": sender}
        response = await client.post(path, json=stranger, headers=headers)
        assert response.status == HTTPStatus.OK
    await hass.async_block_till_done(wait_background_tasks=True)

    # Only the allowed sender's text fires; the other is counted, not lost quietly.
    assert [event.data["from_number"] for event in events] == [CONTACT]
    inbound = mock_config_entry.runtime_data.inbound.diagnostics()
    assert inbound["dropped_senders"] == 1
    dropped = [r for r in _our_records(caplog) if "not an allowed sender" in r.msg]
    assert len(dropped) == 1
    assert dropped[0].levelno == logging.DEBUG
    assert "+1***99" in dropped[0].getMessage()
    _assert_private(caplog)


async def test_polling_logs_are_private(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Polling that fails and recovers says so without naming the account."""
    caplog.set_level(logging.DEBUG, logger="custom_components.sendblue")
    mock_sendblue_client.list_messages.side_effect = SendblueConnectionError("down")
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={CONF_RECEIVE_MODE: "polling", CONF_POLLING_INTERVAL: 15},
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    for fail in (True, False):
        if not fail:
            mock_sendblue_client.list_messages.side_effect = None
            mock_sendblue_client.list_messages.return_value = MessagesPage()
        freezer.tick(15)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()

    messages = [r.getMessage() for r in _our_records(caplog)]
    assert any("failed" in text for text in messages)
    assert any("works again" in text for text in messages)
    _assert_private(caplog)


async def test_stream_logs_are_private(
    hass: HomeAssistant,
    sim: Simulator,  # noqa: F811 - the fixture imported above
    freezer: FrozenDateTimeFactory,
    backoff: Backoff,  # noqa: F811 - the fixture imported above
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The stream's failures, recovery, skipped events and strangers name no one."""
    caplog.set_level(logging.DEBUG, logger="custom_components.sendblue")
    private = [*PRIVATE, *sim.lines, *(line.removeprefix("+") for line in sim.lines)]
    entry = entry_for(
        sim,
        **{CONF_RECEIVE_MODE: ReceiveMode.STREAM, CONF_ALLOWED_SENDERS: [CONTACT]},
    )
    await set_up(hass, entry)
    await sim.control.wait_for_streams(1, max_wait=WITHIN)
    bus = Bus(hass, EVENT_MESSAGE_RECEIVED)
    sim.control.send_malformed("unknown_type")
    sim.control.inject_inbound(from_number=STRANGER, content="hello?")
    sim.control.inject_inbound(from_number=CONTACT, content="hi")
    await bus.wait(1)

    await sim.stop_listening()
    delay = await backoff.next()
    await sim.start_listening()
    await tick(hass, freezer, delay)
    await sim.control.wait_for_streams(1, max_wait=WITHIN)
    # A text through the new stream: it is followed (and its recovery logged).
    sim.control.inject_inbound(from_number=CONTACT, content="back")
    await bus.wait(2)
    await unload(hass, entry, sim)

    texts = [r.getMessage() for r in _our_records(caplog)]
    assert any("failed, reconnecting" in text for text in texts)
    assert any("works again" in text for text in texts)
    assert any("not an allowed sender" in text for text in texts)
    assert any("thing.happened" in text for text in texts)
    for text in texts:
        assert not [item for item in private if item in text], text
