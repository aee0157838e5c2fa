"""Describe Sendblue's events in the logbook: who texted, and what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.const import Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_cached_translations

from .addresses import format_number
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_LINE,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
)
from .identifiers import line_identifier

# Enough of a text to recognise it in a list, not to read it there.
EXCERPT_LENGTH = 60
# If translations are not loaded yet (they are once the entry is), still say it.
FALLBACK = {
    "logbook_text": "{sender}: {excerpt}",
    "logbook_media": "{sender}: 📎",
    "logbook_status": "{recipient}: {status}",
}

type Describe = Callable[[Event[dict[str, Any]]], dict[str, str]]


def excerpt(text: str) -> str:
    """Return the start of a text on one line, with an ellipsis when cut."""
    flat = " ".join(text.split())
    if len(flat) <= EXCERPT_LENGTH:
        return flat
    return flat[: EXCERPT_LENGTH - 1].rstrip() + "…"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Describe], None],
) -> None:
    """Describe texts received and status updates of sent messages."""

    def phrase(key: str, **placeholders: str) -> str:
        translations = async_get_cached_translations(
            hass, hass.config.language, "common", DOMAIN
        )
        template = translations.get(f"component.{DOMAIN}.common.{key}", FALLBACK[key])
        return template.format(**placeholders)

    def entry(event: Event[dict[str, Any]], message: str) -> dict[str, str]:
        data = event.data
        line = str(data.get(ATTR_LINE) or "")
        described = {
            LOGBOOK_ENTRY_NAME: format_number(line) if line else "Sendblue",
            LOGBOOK_ENTRY_MESSAGE: message,
        }
        unique_id = (
            f"{line_identifier(str(data.get(ATTR_CONFIG_ENTRY_ID)), line)}_event"
        )
        if entity_id := er.async_get(hass).async_get_entity_id(
            Platform.EVENT, DOMAIN, unique_id
        ):
            # On the line's device page, next to its other activity.
            described[LOGBOOK_ENTRY_ENTITY_ID] = entity_id
        return described

    @callback
    def describe_received(event: Event[dict[str, Any]]) -> dict[str, str]:
        data = event.data
        sender = format_number(str(data.get("from_number") or "?"))
        if content := str(data.get("content") or "").strip():
            return entry(
                event, phrase("logbook_text", sender=sender, excerpt=excerpt(content))
            )
        return entry(event, phrase("logbook_media", sender=sender))

    @callback
    def describe_status(event: Event[dict[str, Any]]) -> dict[str, str]:
        data = event.data
        number = data.get("number")
        recipients = number if isinstance(number, list) else [number or "?"]
        recipient = ", ".join(format_number(str(r)) for r in recipients)
        status = str(data.get("status") or "?").lower()
        return entry(
            event, phrase("logbook_status", recipient=recipient, status=status)
        )

    async_describe_event(DOMAIN, EVENT_MESSAGE_RECEIVED, describe_received)
    async_describe_event(DOMAIN, EVENT_MESSAGE_STATUS, describe_status)
