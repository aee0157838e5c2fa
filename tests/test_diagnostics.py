"""Tests for Sendblue diagnostics."""

import json
from types import MappingProxyType

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.sendblue.const import (
    CONF_RECIPIENT_KIND,
    CONF_RECIPIENT_LINE,
    CONF_RECIPIENT_TARGET,
    SUBENTRY_RECIPIENT,
)

from .conftest import (
    API_KEY_ID,
    API_SECRET,
    CONTACT,
    EMAIL,
    LINE_1,
    LINE_2,
    WEBHOOK_ID,
    WEBHOOK_SECRET,
)


async def test_diagnostics_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics describe the lines and webhook but leak no secret or number."""
    hass.config_entries.async_add_subentry(
        init_integration,
        ConfigSubentry(
            subentry_type=SUBENTRY_RECIPIENT,
            title="Mom",
            unique_id=CONTACT,
            data=MappingProxyType(
                {
                    CONF_RECIPIENT_KIND: "contact",
                    CONF_RECIPIENT_TARGET: CONTACT,
                    CONF_RECIPIENT_LINE: LINE_2,
                }
            ),
        ),
    )
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    text = json.dumps(diagnostics)
    for secret in (API_SECRET, WEBHOOK_SECRET, WEBHOOK_ID, API_KEY_ID, EMAIL):
        assert secret not in text
    for number in (LINE_1, LINE_2, "5122164639", CONTACT):
        assert number not in text

    assert diagnostics == snapshot(
        exclude=props(
            "entry_id",
            "subentry_id",
            "created_at",
            "modified_at",
            # Times of this run: the cursor starts at setup.
            "cursor",
            "last_run",
        )
    )
