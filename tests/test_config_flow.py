"""Tests for the Sendblue config flow, reauth, reconfigure and options."""

from datetime import timedelta
from unittest.mock import AsyncMock

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sendblue.api import (
    Account,
    SendblueAuthenticationError,
    SendblueConnectionError,
    SendblueNotFoundError,
    SendblueServerError,
)
from custom_components.sendblue.const import (
    CONF_ACCOUNT_EMAIL,
    CONF_ADVANCED,
    CONF_ALLOWED_SENDERS,
    CONF_API_KEY_ID,
    CONF_API_SECRET_KEY,
    CONF_ASSIST,
    CONF_ASSIST_MARK_READ,
    CONF_ASSIST_SMS,
    CONF_BASE_URL,
    CONF_DEFAULT_LINE,
    CONF_LLM_READ_ONLY,
    CONF_POLLING_INTERVAL,
    CONF_RECEIVE_MODE,
    CONF_REPLAY_WINDOW,
    CONF_RETRY_FOR,
    CONF_WEBHOOK_SECRET,
    DEFAULT_BASE_URL,
    DOMAIN,
)
from custom_components.sendblue.inputs import retry_for_option

from .conftest import API_KEY_ID, API_SECRET, EMAIL, LINE_2, WEBHOOK_ID, WEBHOOK_SECRET

USER_INPUT = {
    CONF_API_KEY_ID: API_KEY_ID,
    CONF_API_SECRET_KEY: API_SECRET,
    CONF_ADVANCED: {CONF_BASE_URL: DEFAULT_BASE_URL},
}


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow(hass: HomeAssistant, mock_sendblue_client: AsyncMock) -> None:
    """The user step validates the keys and creates the entry."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**USER_INPUT, CONF_ADVANCED: {CONF_BASE_URL: "http://127.0.0.1:8099/"}},
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == EMAIL
    assert result["result"].unique_id == API_KEY_ID
    data = dict(result["data"])
    assert len(data.pop(CONF_WEBHOOK_ID)) == 64
    assert len(data.pop(CONF_WEBHOOK_SECRET)) >= 32
    assert data == {
        CONF_API_KEY_ID: API_KEY_ID,
        CONF_API_SECRET_KEY: API_SECRET,
        CONF_BASE_URL: "http://127.0.0.1:8099",
        CONF_ACCOUNT_EMAIL: EMAIL,
    }
    # New entries choose how to receive at every setup; older ones keep theirs.
    assert result["options"] == {CONF_RECEIVE_MODE: "auto"}


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_without_account_endpoint(
    hass: HomeAssistant, mock_sendblue_client: AsyncMock
) -> None:
    """Without /account the lines prove the keys and the title is Sendblue."""
    mock_sendblue_client.get_account.side_effect = SendblueNotFoundError()
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Sendblue"
    assert result["data"][CONF_ACCOUNT_EMAIL] is None
    mock_sendblue_client.list_lines.assert_awaited_once()


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_account_without_email(
    hass: HomeAssistant, mock_sendblue_client: AsyncMock
) -> None:
    """An account answer without an e-mail also titles the entry Sendblue."""
    mock_sendblue_client.get_account.return_value = Account.from_dict({"status": "OK"})
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )
    assert result["title"] == "Sendblue"


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (SendblueAuthenticationError("no", status=401), "invalid_auth"),
        (SendblueConnectionError("down"), "cannot_connect"),
        (SendblueServerError("boom", status=500), "cannot_connect"),
        (RuntimeError("surprise"), "unknown"),
    ],
)
async def test_user_flow_errors_recover(
    hass: HomeAssistant,
    mock_sendblue_client: AsyncMock,
    error: Exception,
    expected: str,
) -> None:
    """Errors show on the form and the flow still finishes once fixed."""
    mock_sendblue_client.get_account.side_effect = error
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": expected}

    mock_sendblue_client.get_account.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry", "mock_sendblue_client")
async def test_user_flow_already_configured(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A second entry for the same API key aborts."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reauth(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
) -> None:
    """Reauth asks only for the secret and keeps the webhook."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["key_id"] == API_KEY_ID

    mock_sendblue_client.get_account.side_effect = SendblueAuthenticationError("x")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_SECRET_KEY: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    mock_sendblue_client.get_account.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_SECRET_KEY: "new-secret"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data[CONF_API_SECRET_KEY] == "new-secret"
    assert mock_config_entry.data[CONF_WEBHOOK_ID] == WEBHOOK_ID
    assert mock_config_entry.data[CONF_WEBHOOK_SECRET] == WEBHOOK_SECRET


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
) -> None:
    """Reconfigure changes keys and host of the same account."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"

    mock_sendblue_client.get_account.side_effect = SendblueConnectionError("x")
    new_input = {
        CONF_API_KEY_ID: "new-key",
        CONF_API_SECRET_KEY: "new-secret",
        CONF_ADVANCED: {CONF_BASE_URL: "https://api.sendblue.com"},
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], new_input
    )
    assert result["errors"] == {"base": "cannot_connect"}

    mock_sendblue_client.get_account.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], new_input
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.unique_id == "new-key"
    assert mock_config_entry.data[CONF_API_KEY_ID] == "new-key"
    assert mock_config_entry.data[CONF_BASE_URL] == "https://api.sendblue.com"
    assert mock_config_entry.data[CONF_WEBHOOK_ID] == WEBHOOK_ID


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_other_account(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
) -> None:
    """Keys of another account abort reconfigure."""
    mock_config_entry.add_to_hass(hass)
    mock_sendblue_client.get_account.return_value = Account.from_dict(
        {"email": "someone-else@example.com"}
    )
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, CONF_API_KEY_ID: "other-key"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "account_mismatch"
    assert mock_config_entry.data[CONF_API_KEY_ID] == API_KEY_ID


@pytest.mark.usefixtures("mock_setup_entry", "mock_sendblue_client")
async def test_reconfigure_to_key_of_other_entry(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A key another entry already uses aborts reconfigure."""
    mock_config_entry.add_to_hass(hass)
    MockConfigEntry(domain=DOMAIN, unique_id="taken", data={}).add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, CONF_API_KEY_ID: "taken"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_options(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Options validate senders and offer the account's lines."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"].schema
    line_selector = next(v for k, v in schema.items() if k == CONF_DEFAULT_LINE)
    assert [o["value"] for o in line_selector.config["options"]] == [
        "+15122164639",
        LINE_2,
    ]

    options = {
        CONF_RECEIVE_MODE: "polling",
        CONF_POLLING_INTERVAL: 30.0,
        CONF_DEFAULT_LINE: LINE_2,
        CONF_ALLOWED_SENDERS: ["+14155550100", "not a number"],
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ALLOWED_SENDERS: "invalid_sender"}

    options[CONF_ALLOWED_SENDERS] = [" +14155550100 ", "me@example.com", ""]
    options[CONF_RETRY_FOR] = {"hours": 24, "minutes": 1}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_RETRY_FOR: "retry_for_too_long"}

    options[CONF_RETRY_FOR] = {"hours": 2, "minutes": 0, "seconds": 0}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {
        CONF_RECEIVE_MODE: "polling",
        CONF_POLLING_INTERVAL: 30,
        CONF_REPLAY_WINDOW: 15,
        CONF_DEFAULT_LINE: LINE_2,
        CONF_ALLOWED_SENDERS: ["+14155550100", "me@example.com"],
        CONF_ASSIST: False,
        CONF_ASSIST_MARK_READ: True,
        CONF_ASSIST_SMS: False,
        CONF_LLM_READ_ONLY: False,
        CONF_RETRY_FOR: {"hours": 2, "minutes": 0, "seconds": 0},
    }
    assert retry_for_option(init_integration.options) == timedelta(hours=2)


async def test_options_keep_trying_by_default(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The form offers 30 minutes, and an entry without the option keeps that."""
    assert retry_for_option(init_integration.options) == timedelta(minutes=30)
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_RECEIVE_MODE: "webhook", CONF_POLLING_INTERVAL: 10}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_RETRY_FOR] == {
        "hours": 0,
        "minutes": 30,
        "seconds": 0,
    }


async def test_assist_needs_allowlist(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Assist mode cannot be turned on for everyone."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    options = {
        CONF_RECEIVE_MODE: "webhook",
        CONF_POLLING_INTERVAL: 10,
        CONF_ASSIST: True,
        CONF_ASSIST_MARK_READ: False,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options
    )
    assert result["errors"] == {CONF_ALLOWED_SENDERS: "assist_needs_allowlist"}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {**options, CONF_ALLOWED_SENDERS: ["+14155550100"]},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_ASSIST] is True


async def test_options_when_not_loaded(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """The options form opens for an entry that is not loaded."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_same_key(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
) -> None:
    """Reconfigure with the same key only changes the secret and host."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**USER_INPUT, CONF_API_SECRET_KEY: "rotated"},
    )
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.unique_id == API_KEY_ID
    assert mock_config_entry.data[CONF_API_SECRET_KEY] == "rotated"
