"""Tests for setting up the Sendblue integration."""

from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_custom_components
from homeassistant.setup import async_setup_component

from custom_components.sendblue.const import DOMAIN


async def test_integration_loads(hass: HomeAssistant) -> None:
    """The integration is found as a custom integration and sets up."""
    custom = await async_get_custom_components(hass)
    assert DOMAIN in custom
    assert custom[DOMAIN].version is not None
    assert await async_setup_component(hass, DOMAIN, {})
    assert DOMAIN in hass.config.components
