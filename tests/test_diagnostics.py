"""Tests for Sendblue diagnostics."""

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .conftest import (
    API_KEY_ID,
    API_SECRET,
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
) -> None:
    """Diagnostics describe the lines and webhook but leak no secret or number."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    text = json.dumps(diagnostics)
    for secret in (API_SECRET, WEBHOOK_SECRET, WEBHOOK_ID, API_KEY_ID, EMAIL):
        assert secret not in text
    for number in (LINE_1, LINE_2, "5122164639"):
        assert number not in text

    assert diagnostics["webhook"] == {
        "registered_with_sendblue": True,
        "cloudhook": False,
    }
    assert [line["status"] for line in diagnostics["lines"]] == ["ONLINE", "DEGRADED"]
    assert diagnostics["lines"][0]["number"] == "**REDACTED**"
    assert diagnostics["lines"][0]["usage"]["daily"]["remaining"] == 41
    assert diagnostics["contacts"] == 42
    assert diagnostics["entry"]["data"]["api_secret_key"] == "**REDACTED**"
