"""Tests for receiving by polling, for homes Sendblue cannot reach."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from unittest.mock import AsyncMock

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.sendblue.api import (
    MessagesPage,
    SendblueAuthenticationError,
    SendblueConnectionError,
)
from custom_components.sendblue.catchup import MAX_PAGES_PER_RUN
from custom_components.sendblue.const import (
    CONF_POLLING_INTERVAL,
    CONF_RECEIVE_MODE,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
)

from .conftest import load_json

INTERVAL = timedelta(seconds=15)

type PageSource = Callable[..., Awaitable[MessagesPage]]


def pages(*batches: list[dict[str, Any]]) -> PageSource:
    """Return a fake list_messages answering one page per batch, then none."""
    answers = iter(batches)

    async def answer(**_: object) -> MessagesPage:
        batch = next(answers, [])
        return MessagesPage.from_dict(
            {"status": "OK", "data": batch, "pagination": {"hasMore": bool(batch)}}
        )

    return answer


@pytest.fixture
async def polling_entry(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
) -> MockConfigEntry:
    """Set up an entry that receives by polling."""
    mock_sendblue_client.list_messages.side_effect = pages()
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={CONF_RECEIVE_MODE: "polling", CONF_POLLING_INTERVAL: 15},
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one polling interval pass."""
    freezer.tick(INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_polling_fires_the_same_events(
    hass: HomeAssistant,
    polling_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Polled messages fire the webhook's events, deduplicated across polls."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    status = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    inbound = load_json("webhook_message_received.json")
    sent = load_json("webhook_status_sent.json")
    later = dt_util.utcnow() + timedelta(minutes=1)
    delivered = {**sent, "status": "DELIVERED", "date_updated": later.isoformat()}
    mock_sendblue_client.list_messages.side_effect = pages([inbound, sent])

    await tick(hass, freezer)
    assert [e.data["message_handle"] for e in received] == [inbound["message_handle"]]
    assert received[0].data["line"] == inbound["to_number"]
    assert [e.data["status"] for e in status] == ["SENT"]
    kwargs = mock_sendblue_client.list_messages.call_args.kwargs
    assert kwargs["order_by"] == "updatedAt"
    assert kwargs["order_direction"] == "asc"

    # The next poll starts at the newest update seen and repeats nothing.
    mock_sendblue_client.list_messages.side_effect = pages([inbound, sent, delivered])
    await tick(hass, freezer)
    assert len(received) == 1
    assert [e.data["status"] for e in status] == ["SENT", "DELIVERED"]
    await tick(hass, freezer)
    assert (
        mock_sendblue_client.list_messages.call_args.kwargs["updated_at_gte"] == later
    )


async def test_polling_reads_a_bounded_number_of_pages(
    hass: HomeAssistant,
    polling_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """One poll reads at most MAX_PAGES_PER_RUN pages, within Sendblue's limit."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    base = load_json("webhook_message_received.json")
    batches = [
        [{**base, "message_handle": f"H{i}"}] for i in range(MAX_PAGES_PER_RUN + 3)
    ]
    mock_sendblue_client.list_messages.side_effect = pages(*batches)

    await tick(hass, freezer)
    assert len(received) == MAX_PAGES_PER_RUN


async def test_polling_failure_logged_once(
    hass: HomeAssistant,
    polling_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing poll is logged once and its recovery once."""
    mock_sendblue_client.list_messages.side_effect = SendblueConnectionError("down")
    for _ in range(3):
        await tick(hass, freezer)
    assert caplog.text.count("Polling Sendblue for") == 1

    mock_sendblue_client.list_messages.side_effect = pages()
    await tick(hass, freezer)
    await tick(hass, freezer)
    assert caplog.text.count("works again") == 1


async def test_polling_auth_failure_starts_reauth(
    hass: HomeAssistant,
    polling_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A refused key while polling asks the user for the secret."""
    mock_sendblue_client.list_messages.side_effect = SendblueAuthenticationError("no")
    await tick(hass, freezer)
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_no_polling_after_unload(
    hass: HomeAssistant,
    polling_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unloading stops the poller."""
    await hass.config_entries.async_unload(polling_entry.entry_id)
    calls = mock_sendblue_client.list_messages.call_count
    await tick(hass, freezer)
    assert mock_sendblue_client.list_messages.call_count == calls
