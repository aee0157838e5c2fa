"""Event entities: what happens on each line, for automations and the logbook."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    EVENT_TYPE_MESSAGE_RECEIVED,
    EVENT_TYPE_MESSAGE_STATUS,
    EVENT_TYPE_TYPING,
)
from .data import SendblueConfigEntry
from .entity import SendblueLineEntity, async_add_line_entities

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SendblueConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up an event entity for every line."""
    async_add_line_entities(
        entry,
        async_add_entities,
        lambda line: (SendblueLineEventEntity(entry, line),),
    )


class SendblueLineEventEntity(SendblueLineEntity, EventEntity):
    """Messages received, status updates and typing on one line."""

    _attr_translation_key = "line_event"
    # The raw payload is on the state for automations, but too big to keep in the
    # database for every text (long texts pass the recorder's attribute limit).
    _unrecorded_attributes = frozenset({"payload"})
    _attr_event_types = [  # noqa: RUF012 - the EventEntity attribute is a list
        EVENT_TYPE_MESSAGE_RECEIVED,
        EVENT_TYPE_MESSAGE_STATUS,
        EVENT_TYPE_TYPING,
    ]

    def __init__(self, entry: SendblueConfigEntry, line: str) -> None:
        """Initialize the event entity of a line."""
        super().__init__(entry, key="event", line=line)
        self._was_available = self.available

    async def async_added_to_hass(self) -> None:
        """Listen to the line's events."""
        await super().async_added_to_hass()
        self.async_listen_line_events(self._async_handle_event)

    @callback
    def _async_handle_event(
        self, event_type: str, data: dict[str, Any], context: Context
    ) -> None:
        """Record an event of the line, in the context of its bus event."""
        # One text, one context: the state change is linked to the bus event.
        self.async_set_context(context)
        self._trigger_event(event_type, data)
        self.async_write_ha_state()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write state only when availability changes, not on every poll."""
        if self.available != self._was_available:
            self._was_available = self.available
            self.async_write_ha_state()
