"""Repair issues: raised when something needs the user, cleared when it is fixed."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


def raise_issue(
    hass: HomeAssistant, issue_id: str, key: str, placeholders: dict[str, str]
) -> None:
    """Raise a repair issue the user fixes in Sendblue or Home Assistant's setup."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def clear_issue(hass: HomeAssistant, issue_id: str) -> None:
    """Clear a repair issue once its cause went away."""
    ir.async_delete_issue(hass, DOMAIN, issue_id)
