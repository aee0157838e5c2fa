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
    CONF_RECEIVE_MODE,
    CONF_RECIPIENT_LINE,
    CONF_RECIPIENT_TARGET,
    CONF_REGISTERED_URL,
    CONF_WEBHOOK_SECRET,
    DEFAULT_RECEIVE_MODE,
    ReceiveMode,
)
from .data import SendblueConfigEntry

TO_REDACT = {
    CONF_ACCOUNT_EMAIL,
    CONF_ALLOWED_SENDERS,
    CONF_API_KEY_ID,
    CONF_API_SECRET_KEY,
    CONF_CLOUDHOOK_URL,
    CONF_DEFAULT_LINE,
    CONF_RECEIVE_MODE,
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
    receiver = runtime.receiver
    return async_redact_data(
        {
            "entry": entry.as_dict(),
            "receiver": {
                "mode": receiver.mode if receiver else ReceiveMode.OFF,
                "configured_mode": entry.options.get(
                    CONF_RECEIVE_MODE, DEFAULT_RECEIVE_MODE
                ),
                **(receiver.diagnostics() if receiver else {}),
            },
            "inbound": runtime.inbound.diagnostics(),
            "outbox": runtime.outbox.diagnostics(),
            "assist": runtime.assist.diagnostics() if runtime.assist else None,
            # Lines are listed, not keyed, so their numbers can be redacted.
            "lines": [
                {
                    "number": line.number,
                    "status": line.status.value,
                    "state": line.state.to_dict() if line.state else None,
                    "usage": line.usage.to_dict() if line.usage else None,
                    "activity": asdict(runtime.activity.of(line.number)),
                }
                for line in data.lines.values()
            ],
            "contacts": data.contacts,
            "sent_lines": len(runtime.sent_lines),
        },
        TO_REDACT,
    )
