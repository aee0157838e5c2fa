"""Fixtures shared by every Sendblue test."""

import pytest

# Imported at module level so that the hass fixture finds our integration first.
import custom_components.sendblue  # noqa: F401


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    enable_custom_integrations: None,
) -> None:
    """Let the hass fixture load integrations from custom_components."""
