"""Repair issues: raised when something needs the user, cleared when it is fixed."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


def raise_issue(
    hass: HomeAssistant,
    issue_id: str,
    key: str,
    placeholders: dict[str, str],
    *,
    fixable: bool = False,
) -> None:
    """Raise a repair issue; a fixable one the user dismisses (repairs.py)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=fixable,
        severity=ir.IssueSeverity.WARNING,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def clear_issue(hass: HomeAssistant, issue_id: str) -> None:
    """Clear a repair issue once its cause went away."""
    ir.async_delete_issue(hass, DOMAIN, issue_id)
