"""Diagnostics for Sendblue, with credentials, webhook and phone numbers redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .const import (
    CONF_ACCOUNT_EMAIL,
    CONF_ALLOWED_SENDERS,
    CONF_API_KEY_ID,
    CONF_API_SECRET_KEY,
    CONF_CLOUDHOOK_URL,
    CONF_DEFAULT_LINE,
    CONF_RECIPIENT_LINE,
    CONF_RECIPIENT_TARGET,
    CONF_REGISTERED_URL,
    CONF_WEBHOOK_SECRET,
)
from .coordinator import SendblueConfigEntry

TO_REDACT = {
    CONF_ACCOUNT_EMAIL,
    CONF_ALLOWED_SENDERS,
    CONF_API_KEY_ID,
    CONF_API_SECRET_KEY,
    CONF_CLOUDHOOK_URL,
    CONF_DEFAULT_LINE,
    CONF_RECIPIENT_LINE,
    CONF_RECIPIENT_TARGET,
    CONF_REGISTERED_URL,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_SECRET,
    "number",
    "phone",
    "sendblue_number",
    "title",
    "unique_id",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SendblueConfigEntry,
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    runtime = entry.runtime_data
    data = runtime.coordinator.data
    return async_redact_data(
        {
            "entry": entry.as_dict(),
            "webhook": {
                "registered_with_sendblue": CONF_REGISTERED_URL in entry.data,
                "cloudhook": CONF_CLOUDHOOK_URL in entry.data,
            },
            # Lines are listed, not keyed, so their numbers can be redacted.
            "lines": [
                {
                    "number": line.number,
                    "status": line.status.value,
                    "state": line.state.to_dict() if line.state else None,
                    "usage": line.usage.to_dict() if line.usage else None,
                    "activity": asdict(runtime.coordinator.line_activity(line.number)),
                }
                for line in data.lines.values()
            ],
            "contacts": data.contacts,
            "dedupe_keys": runtime.inbound.remembered,
        },
        TO_REDACT,
    )
