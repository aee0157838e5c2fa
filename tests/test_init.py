"""Tests for setting up, unloading and removing the Sendblue integration."""

import sys
from collections.abc import Generator
from typing import Any
from unittest.mock import AsyncMock, MagicMock, patch

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.loader import async_get_custom_components
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sendblue.api import (
    SendblueAuthenticationError,
    SendblueConnectionError,
    SendblueError,
    SendblueNotFoundError,
    SendblueTimeoutError,
    WebhookConfiguration,
    Webhooks,
    WebhookType,
)
from custom_components.sendblue.const import (
    CONF_CLOUDHOOK_URL,
    CONF_RECEIVE_MODE,
    CONF_REGISTERED_URL,
    DOMAIN,
    ReceiveMode,
)

from .conftest import (
    EXTERNAL_URL,
    LINE_1,
    LINE_2,
    WEBHOOK_ID,
    WEBHOOK_SECRET,
    WEBHOOK_URL,
)

CLOUDHOOK_URL = "https://hooks.nabu.casa/abc123"
TYPES = [WebhookType.RECEIVE, WebhookType.OUTBOUND, WebhookType.TYPING_INDICATOR]


def registered(webhooks: dict[str, list[dict[str, str]]]) -> Webhooks:
    """Return Sendblue's answer to GET /api/account/webhooks."""
    return Webhooks.from_dict({"status": "OK", "webhooks": webhooks})


async def test_integration_is_found(hass: HomeAssistant) -> None:
    """The integration is found as a custom integration with a version."""
    custom = await async_get_custom_components(hass)
    assert DOMAIN in custom
    assert custom[DOMAIN].version is not None
    assert await async_setup_component(hass, DOMAIN, {})


def _saved(hass_storage: dict[str, Any], entry: MockConfigEntry) -> dict[str, Any]:
    """Return what the entry saved about its webhook in its storage."""
    saved = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]
    return {key: saved[key] for key in ("webhook_url", "cloudhook") if key in saved}


async def test_load_unload(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    hass_storage: dict[str, Any],
) -> None:
    """The entry loads, registers our webhook with Sendblue, and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    added = mock_sendblue_client.add_webhooks.call_args_list
    assert sorted(call.kwargs["webhook_type"] for call in added) == sorted(TYPES)
    for call in added:
        assert call.kwargs["webhooks"] == [
            WebhookConfiguration(url=WEBHOOK_URL, secret=WEBHOOK_SECRET)
        ]
    # Kept in storage: in the entry's data it would reload the entry.
    assert _saved(hass_storage, init_integration)["webhook_url"] == WEBHOOK_URL
    assert CONF_REGISTERED_URL not in init_integration.data

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    # Unloading (and so restarting) leaves Sendblue pointed at us.
    mock_sendblue_client.delete_webhooks.assert_not_called()


async def test_reload_does_not_register_twice(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
) -> None:
    """When Sendblue already has our URL with our secret, nothing is added."""
    mock_sendblue_client.add_webhooks.reset_mock()
    mock_sendblue_client.list_webhooks.return_value = registered(
        {t.value: [{"url": WEBHOOK_URL, "secret": WEBHOOK_SECRET}] for t in TYPES}
    )

    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    mock_sendblue_client.add_webhooks.assert_not_called()
    mock_sendblue_client.delete_webhooks.assert_not_called()
    mock_sendblue_client.replace_webhooks.assert_not_called()


async def test_stale_secret_replaced(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    external_url: str,
) -> None:
    """Our URL registered with another secret is replaced; others' are kept."""
    other = {"url": "https://other.example.com/hook", "secret": "theirs"}
    mock_sendblue_client.list_webhooks.return_value = registered(
        {
            "receive": [other, {"url": WEBHOOK_URL, "secret": "old"}],
            "outbound": [{"url": WEBHOOK_URL, "secret": WEBHOOK_SECRET}],
        }
    )
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    mock_sendblue_client.delete_webhooks.assert_called_once_with(
        urls=[WEBHOOK_URL], webhook_type=WebhookType.RECEIVE
    )
    assert sorted(
        call.kwargs["webhook_type"]
        for call in mock_sendblue_client.add_webhooks.call_args_list
    ) == sorted([WebhookType.RECEIVE, WebhookType.TYPING_INDICATOR])


async def test_url_change_moves_registration(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    external_url: str,
    hass_storage: dict[str, Any],
) -> None:
    """A 1.1 entry's URL moves to storage, and a new URL replaces it at Sendblue."""
    old = "https://old.example.com/api/webhook/x"
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        version=1,
        minor_version=1,
        data={
            **mock_config_entry.data,
            CONF_REGISTERED_URL: old,
            CONF_CLOUDHOOK_URL: "https://hooks.nabu.casa/old",
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.minor_version == 2
    assert CONF_REGISTERED_URL not in entry.data
    assert CONF_CLOUDHOOK_URL not in entry.data
    deleted = mock_sendblue_client.delete_webhooks.call_args_list
    assert sorted(call.kwargs["webhook_type"] for call in deleted) == sorted(TYPES)
    assert all(call.kwargs["urls"] == [old] for call in deleted)
    assert _saved(hass_storage, entry) == {
        "webhook_url": WEBHOOK_URL,
        "cloudhook": False,
    }


async def test_newer_entry_is_not_migrated(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """An entry from a newer version of the integration is left alone."""
    entry = MockConfigEntry(domain=DOMAIN, version=2, data=mock_config_entry.data)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_no_public_url_raises_repair(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Without a URL reachable from the internet, setup goes on with a repair."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.LOADED
    mock_sendblue_client.add_webhooks.assert_not_called()
    issue = issue_registry.async_get_issue(
        DOMAIN, f"webhook_url_missing_{mock_config_entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_key == "webhook_url_missing"

    # Once a URL is set, a reload registers and the issue goes away.
    await hass.config.async_update(external_url=EXTERNAL_URL)
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_sendblue_client.add_webhooks.call_count == 3
    assert (
        issue_registry.async_get_issue(
            DOMAIN, f"webhook_url_missing_{mock_config_entry.entry_id}"
        )
        is None
    )


@pytest.mark.parametrize("mode", [ReceiveMode.POLLING, ReceiveMode.OFF])
async def test_other_modes_forget_the_webhook(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    mode: ReceiveMode,
    hass_storage: dict[str, Any],
) -> None:
    """Switching away from webhook mode stops Sendblue calling us."""
    hass.config_entries.async_update_entry(
        init_integration, options={CONF_RECEIVE_MODE: mode}
    )
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    deleted = mock_sendblue_client.delete_webhooks.call_args_list
    assert sorted(call.kwargs["webhook_type"] for call in deleted) == sorted(TYPES)
    assert _saved(hass_storage, init_integration)["webhook_url"] is None
    # The HA webhook is not registered either: a call is answered but ignored.
    assert WEBHOOK_ID not in hass.data.get("webhook", {})


async def test_remove_entry_deletes_webhooks(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
) -> None:
    """Removing the entry removes exactly our URL from the three types."""
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()

    deleted = mock_sendblue_client.delete_webhooks.call_args_list
    assert sorted(call.kwargs["webhook_type"] for call in deleted) == sorted(TYPES)
    assert all(call.kwargs["urls"] == [WEBHOOK_URL] for call in deleted)


async def test_remove_entry_when_sendblue_fails(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Removal goes through even when Sendblue cannot be told."""
    mock_sendblue_client.delete_webhooks.side_effect = SendblueConnectionError("down")
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()

    assert hass.config_entries.async_get_entry(init_integration.entry_id) is None
    assert "remove it in the Sendblue dashboard" in caplog.text


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (SendblueConnectionError("offline"), "connection_error"),
        (SendblueTimeoutError("slow"), "timeout_error"),
        (SendblueError("odd"), "unknown_error"),
    ],
)
async def test_setup_retry_when_offline(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    error: SendblueError,
    key: str,
) -> None:
    """An unreachable Sendblue makes setup retry with a translated reason."""
    mock_sendblue_client.list_lines.side_effect = error
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert mock_config_entry.error_reason_translation_key == key

    # It recovers by itself once Sendblue answers again.
    mock_sendblue_client.list_lines.side_effect = None
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED


async def test_setup_retry_when_registration_fails(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    external_url: str,
) -> None:
    """A failing webhook registration also retries setup."""
    mock_sendblue_client.list_webhooks.side_effect = SendblueConnectionError("x")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.parametrize("method", ["list_lines", "list_webhooks"])
async def test_auth_failure_starts_reauth(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    external_url: str,
    method: str,
) -> None:
    """A refused key anywhere in setup asks the user for the secret."""
    getattr(mock_sendblue_client, method).side_effect = SendblueAuthenticationError(
        "bad key", status=401
    )
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert len(flows) == 1
    assert flows[0]["step_id"] == "reauth_confirm"
    assert flows[0]["context"]["source"] == SOURCE_REAUTH


async def test_optional_endpoints_missing(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
) -> None:
    """Accounts without line state, usage or contacts still set up."""
    for method in ("get_lines_state", "get_lines_usage", "count_contacts"):
        getattr(mock_sendblue_client, method).side_effect = SendblueNotFoundError()
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.1_512_216_4639_status").state == "unknown"


async def test_devices(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The account is a service device and every line a device under it."""
    entry_id = init_integration.entry_id
    account = device_registry.async_get_device_by_identifier(
        (DOMAIN, entry_id), entry_id
    )
    assert account is not None
    assert account.entry_type is dr.DeviceEntryType.SERVICE
    assert account.name == init_integration.title
    for line, name in ((LINE_1, "+1 (512) 216-4639"), (LINE_2, "+1 (646) 852-8190")):
        device = device_registry.async_get_device_by_identifier(
            (DOMAIN, f"{entry_id}_line_{line}"), entry_id
        )
        assert device is not None
        assert device.name == name
        assert device.serial_number == line
        assert device.via_device_id == account.id


@pytest.fixture
def mock_cloud(hass: HomeAssistant) -> Generator[MagicMock]:
    """Pretend Home Assistant Cloud is set up with an active subscription."""
    cloud = MagicMock()
    cloud.CloudNotAvailable = type("CloudNotAvailable", (Exception,), {})
    cloud.async_active_subscription.return_value = True
    cloud.async_get_or_create_cloudhook = AsyncMock(return_value=CLOUDHOOK_URL)
    cloud.async_delete_cloudhook = AsyncMock()
    hass.config.components.add("cloud")
    with patch.dict(sys.modules, {"homeassistant.components.cloud": cloud}):
        yield cloud


async def test_cloudhook(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    mock_cloud: MagicMock,
    hass_storage: dict[str, Any],
) -> None:
    """With Home Assistant Cloud the cloudhook is registered, and removed with us."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert _saved(hass_storage, mock_config_entry) == {
        "webhook_url": CLOUDHOOK_URL,
        "cloudhook": True,
    }
    assert {
        call.kwargs["webhooks"][0].url
        for call in mock_sendblue_client.add_webhooks.call_args_list
    } == {CLOUDHOOK_URL}

    # Home Assistant Cloud keeps the cloudhook; a reload asks it for the same one.
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    asked = mock_cloud.async_get_or_create_cloudhook.await_args_list
    assert [awaited.args for awaited in asked] == [(hass, WEBHOOK_ID)] * 2

    mock_cloud.async_delete_cloudhook.side_effect = mock_cloud.CloudNotAvailable
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    mock_cloud.async_delete_cloudhook.assert_awaited_once_with(hass, WEBHOOK_ID)
    assert {
        call.kwargs["urls"][0]
        for call in mock_sendblue_client.delete_webhooks.call_args_list
    } == {CLOUDHOOK_URL}
    assert f"{DOMAIN}.{mock_config_entry.entry_id}" not in hass_storage
