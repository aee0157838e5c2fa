"""The webhook heals itself: an hourly check re-adds what Sendblue lost."""

import logging
from unittest.mock import AsyncMock

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sendblue.api import (
    SendblueAuthenticationError,
    SendblueConnectionError,
    Webhooks,
    WebhookType,
)
from custom_components.sendblue.const import DOMAIN, RECEIVE_CHECK_INTERVAL

from .conftest import EXTERNAL_URL, WEBHOOK_SECRET, WEBHOOK_URL

TYPES = [WebhookType.RECEIVE, WebhookType.OUTBOUND, WebhookType.TYPING_INDICATOR]
OURS = Webhooks.from_dict(
    {
        "status": "OK",
        "webhooks": {
            t.value: [{"url": WEBHOOK_URL, "secret": WEBHOOK_SECRET}] for t in TYPES
        },
    }
)
NONE = Webhooks.from_dict({"status": "OK", "webhooks": {}})


async def hour(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the hourly check run."""
    freezer.tick(RECEIVE_CHECK_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def calls(client: AsyncMock) -> int:
    """Return how many API calls the checks made."""
    return sum(
        method.await_count
        for method in (
            client.list_webhooks,
            client.add_webhooks,
            client.delete_webhooks,
            client.list_messages,
        )
    )


async def test_hourly_check_costs_two_calls_and_readds_a_lost_webhook(
    hass: HomeAssistant,
    # Frozen before setup: timers set at setup follow the frozen clock.
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At rest the check lists webhooks and messages; a lost one is added again."""
    await hass.async_block_till_done(wait_background_tasks=True)
    mock_sendblue_client.list_webhooks.return_value = OURS
    before = calls(mock_sendblue_client)
    await hour(hass, freezer)
    assert calls(mock_sendblue_client) - before == 2
    assert "had lost" not in caplog.text

    mock_sendblue_client.add_webhooks.reset_mock()
    mock_sendblue_client.list_webhooks.return_value = NONE
    await hour(hass, freezer)
    added = mock_sendblue_client.add_webhooks.call_args_list
    assert sorted(call.kwargs["webhook_type"] for call in added) == sorted(TYPES)
    assert caplog.text.count("Sendblue had lost the webhook") == 1
    receiver = init_integration.runtime_data.receiver
    assert receiver is not None
    assert receiver.diagnostics()["readded"] == 1


async def test_check_registers_once_a_url_appears(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Without a public URL there is a repair; once one is set, the check registers."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    issue_id = f"webhook_url_missing_{mock_config_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    mock_sendblue_client.add_webhooks.assert_not_called()
    listed = mock_sendblue_client.list_messages.await_count

    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    await hour(hass, freezer)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert mock_sendblue_client.add_webhooks.await_count == len(TYPES)
    # The time without a webhook is repaired from the listing.
    assert mock_sendblue_client.list_messages.await_count == listed + 1


async def test_failed_check_logged_once_and_401_reauths(
    hass: HomeAssistant,
    # Frozen before setup: timers set at setup follow the frozen clock.
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing check warns once and says when it works again; 401 asks for keys."""
    caplog.set_level(logging.INFO, logger="custom_components.sendblue")
    await hass.async_block_till_done(wait_background_tasks=True)
    mock_sendblue_client.list_webhooks.side_effect = SendblueConnectionError("down")
    await hour(hass, freezer)
    await hour(hass, freezer)
    assert caplog.text.count("Could not check the Sendblue webhook") == 1

    mock_sendblue_client.list_webhooks.side_effect = None
    mock_sendblue_client.list_webhooks.return_value = OURS
    await hour(hass, freezer)
    assert caplog.text.count("Checking the Sendblue webhook of") == 1

    mock_sendblue_client.list_webhooks.side_effect = SendblueAuthenticationError("no")
    await hour(hass, freezer)
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
