"""Every change to a loaded entry reloads it once, the way Home Assistant 2026.12 wants.

The update listener schedules the reload; the flows save with
async_update_and_abort while the entry is loaded. The autouse
fail_on_deprecated_usage fixture fails these tests if Home Assistant reports
"has an update listener and should use it for scheduling a reload".
"""

from types import MappingProxyType
from unittest.mock import AsyncMock, patch

import pytest
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sendblue.api import SendblueAuthenticationError
from custom_components.sendblue.const import (
    CONF_ADVANCED,
    CONF_API_KEY_ID,
    CONF_API_SECRET_KEY,
    CONF_ASSIST,
    CONF_ASSIST_MARK_READ,
    CONF_ASSIST_SMS,
    CONF_BASE_URL,
    CONF_POLLING_INTERVAL,
    CONF_RECEIVE_MODE,
    CONF_RECIPIENT_KIND,
    CONF_RECIPIENT_LINE,
    CONF_RECIPIENT_TARGET,
    DEFAULT_BASE_URL,
    DOMAIN,
    SUBENTRY_RECIPIENT,
)

from .conftest import API_KEY_ID, CONTACT, LINE_1


@pytest.fixture
def reloads(hass: HomeAssistant) -> list[str]:
    """Record every reload Home Assistant runs (and still run it)."""
    calls: list[str] = []
    reload = hass.config_entries.async_reload

    async def record(entry_id: str) -> bool:
        calls.append(entry_id)
        return await reload(entry_id)

    with patch.object(hass.config_entries, "async_reload", side_effect=record):
        yield calls


async def test_reauth_reloads_a_loaded_entry_once(
    hass: HomeAssistant, init_integration: MockConfigEntry, reloads: list[str]
) -> None:
    """New secret on a loaded entry: saved, reloaded once, loaded again."""
    result = await init_integration.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_SECRET_KEY: "new-secret"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert init_integration.data[CONF_API_SECRET_KEY] == "new-secret"
    assert reloads == [init_integration.entry_id]
    assert init_integration.state is ConfigEntryState.LOADED


async def test_reauth_sets_up_an_entry_that_failed(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    external_url: str,
    reloads: list[str],
) -> None:
    """An entry refused at setup has no listener: the flow reloads it itself."""
    mock_sendblue_client.list_lines.side_effect = SendblueAuthenticationError("no")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flow = next(iter(mock_config_entry.async_get_active_flows(hass, {"reauth"})))

    mock_sendblue_client.list_lines.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_SECRET_KEY: "new-secret"}
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reauth_successful"
    assert reloads == [mock_config_entry.entry_id]
    assert mock_config_entry.state is ConfigEntryState.LOADED


async def test_reconfigure_reloads_a_loaded_entry_once(
    hass: HomeAssistant, init_integration: MockConfigEntry, reloads: list[str]
) -> None:
    """New keys of the same account on a loaded entry: saved and reloaded once."""
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_KEY_ID: API_KEY_ID,
            CONF_API_SECRET_KEY: "rotated",
            CONF_ADVANCED: {CONF_BASE_URL: DEFAULT_BASE_URL},
        },
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data[CONF_API_SECRET_KEY] == "rotated"
    assert reloads == [init_integration.entry_id]
    assert init_integration.state is ConfigEntryState.LOADED


async def test_options_reload_a_loaded_entry_once(
    hass: HomeAssistant, init_integration: MockConfigEntry, reloads: list[str]
) -> None:
    """Saving options reloads once, in the new mode."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_RECEIVE_MODE: "polling",
            CONF_POLLING_INTERVAL: 30,
            CONF_ASSIST: False,
            CONF_ASSIST_MARK_READ: True,
            CONF_ASSIST_SMS: False,
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert reloads == [init_integration.entry_id]
    assert init_integration.runtime_data.receiver is not None
    assert init_integration.runtime_data.receiver.mode == "polling"


async def test_recipients_reload_a_loaded_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry, reloads: list[str]
) -> None:
    """Adding, changing and removing a recipient each reload once."""
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, SUBENTRY_RECIPIENT), context={"source": "user"}
    )
    recipient = {
        CONF_NAME: "Alex",
        CONF_RECIPIENT_KIND: "contact",
        CONF_RECIPIENT_TARGET: CONTACT,
        CONF_RECIPIENT_LINE: LINE_1,
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], recipient
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert hass.states.get("notify.alex") is not None
    subentry: ConfigSubentry = next(iter(init_integration.subentries.values()))

    result = await init_integration.start_subentry_reconfigure_flow(
        hass, subentry.subentry_id
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**recipient, CONF_NAME: "Alexandra"}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"

    assert hass.config_entries.async_remove_subentry(
        init_integration, subentry.subentry_id
    )
    await hass.async_block_till_done()

    assert reloads == [init_integration.entry_id] * 3
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get("notify.alex") is None


async def test_recipient_saved_before_setup_gets_its_entity(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    external_url: str,
) -> None:
    """A recipient that is already saved has its entity from the first setup."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_add_subentry(
        mock_config_entry,
        ConfigSubentry(
            subentry_type=SUBENTRY_RECIPIENT,
            title="Mom",
            unique_id=CONTACT,
            data=MappingProxyType(
                {CONF_RECIPIENT_KIND: "contact", CONF_RECIPIENT_TARGET: CONTACT}
            ),
        ),
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("notify.mom") is not None
    assert DOMAIN in hass.config.components
