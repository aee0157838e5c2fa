"""Turn what Sendblue reports (stream, webhook, listing) into Home Assistant events.

Dedupe keys of messages and stream events are saved with the entry, so that
nothing fires twice across a restart; typing keys are kept in memory only.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .addresses import mask
from .api import Message, MessageStatus, MessageType, TypingIndicator
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_LINE,
    CONF_ALLOWED_SENDERS,
    DEDUPE_SIZE,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
    EVENT_TYPE_MESSAGE_RECEIVED,
    EVENT_TYPE_MESSAGE_STATUS,
    EVENT_TYPE_TYPING,
    EVENT_TYPING_INDICATOR,
    LOGGER,
)
from .data import (
    ActivityLog,
    BoundedSet,
    LineFollowers,
    SendblueConfigEntry,
    SendblueData,
    SentLines,
)

ATTR_REPLAYED = "replayed"


class SendblueInbound:
    """Dedupe, filter and fire inbound messages, status updates and typing."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SendblueConfigEntry,
        *,
        lines: Callable[[], SendblueData | None],
        activity: ActivityLog,
        followers: LineFollowers,
        sent_lines: SentLines,
        seen: BoundedSet[str] | None = None,
    ) -> None:
        """Initialize for one config entry; lines returns what was last polled.

        seen holds the dedupe keys that survive restarts (the entry's store).
        """
        self.hass = hass
        self.entry = entry
        self._lines = lines
        self.activity = activity
        self.followers = followers
        self.sent_lines = sent_lines
        self._seen: BoundedSet[str] = (
            seen if seen is not None else BoundedSet(DEDUPE_SIZE)
        )
        self._typing_seen: BoundedSet[Hashable] = BoundedSet(DEDUPE_SIZE)
        allowed = entry.options.get(CONF_ALLOWED_SENDERS) or []
        self._allowed: frozenset[str] = frozenset(s.lower() for s in allowed)
        self.dropped = 0

    @property
    def remembered(self) -> int:
        """Return how many delivery keys are remembered for dedupe."""
        return len(self._seen) + len(self._typing_seen)

    def diagnostics(self) -> dict[str, Any]:
        """Return the size of the dedupe memory and how many texts were dropped."""
        return {"dedupe_keys": self.remembered, "dropped_senders": self.dropped}

    def _drop(self, sender: str | None) -> None:
        """Count a text from a sender that is not allowed, with one debug line."""
        self.dropped += 1
        LOGGER.debug("Ignored a text from %s: not an allowed sender", mask(sender))

    def is_allowed(self, sender: str | None) -> bool:
        """Return whether events may fire for this sender."""
        return not self._allowed or (
            sender is not None and sender.lower() in self._allowed
        )

    def first_event(self, event_id: str) -> bool:
        """Remember a stream event's id; return False when it was seen before."""
        return self._seen.add(f"event/{event_id}")

    @callback
    def async_process(
        self,
        item: Message | TypingIndicator,
        payload: Mapping[str, Any],
        *,
        replayed: bool = False,
        fire: bool = True,
    ) -> bool:
        """Fire the events for one item, once; return False when seen before.

        replayed marks what a listing found after the fact. With fire False
        the item is only remembered and its line's activity recorded (a text
        too old to act on); typing is never replayed.
        """
        if isinstance(item, TypingIndicator):
            return self._typing(item, payload)
        if item.is_outbound or (
            item.is_outbound is None and item.status is not MessageStatus.RECEIVED
        ):
            return self._status(item, payload, replayed=replayed, fire=fire)
        return self._received(item, payload, replayed=replayed, fire=fire)

    def _received(
        self,
        message: Message,
        payload: Mapping[str, Any],
        *,
        replayed: bool,
        fire: bool,
    ) -> bool:
        """Fire sendblue_message_received."""
        handle = message.message_handle
        if handle is None or not self._seen.add(f"received/{handle}"):
            return False
        if not self.is_allowed(message.from_number):
            self._drop(message.from_number)
            return True
        line = self._our_line(message.sendblue_number, message.to_number)
        self._track(handle, line, sent=False, when=message.date_sent)
        if not fire:
            return True
        data = {
            "message_handle": message.message_handle,
            "content": message.content,
            "media_url": message.media_url,
            "from_number": message.from_number,
            "to_number": message.to_number or line,
            "service": _value(message.service),
            "is_group": message.message_type is MessageType.GROUP
            or message.group_id is not None,
            "group_id": message.group_id,
            "group_display_name": message.group_display_name,
            "participants": list(message.participants),
            "date_sent": _iso(message.date_sent),
            ATTR_REPLAYED: replayed,
        }
        self._fire(
            EVENT_MESSAGE_RECEIVED, EVENT_TYPE_MESSAGE_RECEIVED, line, data, payload
        )
        return True

    def _status(
        self,
        message: Message,
        payload: Mapping[str, Any],
        *,
        replayed: bool,
        fire: bool,
    ) -> bool:
        """Fire sendblue_message_status."""
        handle = message.message_handle
        if handle is None or not self._seen.add(
            f"status/{handle}/{message.status.value}"
        ):
            return False
        line = self._our_line(message.sendblue_number, message.from_number)
        self._track(handle, line, sent=True, when=message.date_sent)
        if not fire:
            return True
        data = {
            "message_handle": message.message_handle,
            "status": _value(message.status),
            "number": message.number or list(message.recipients) or None,
            "service": _value(message.service),
            "error_code": message.error_code,
            "error_message": message.error_message,
            "was_downgraded": message.was_downgraded,
            "date_updated": _iso(message.date_updated),
            ATTR_REPLAYED: replayed,
        }
        self._fire(EVENT_MESSAGE_STATUS, EVENT_TYPE_MESSAGE_STATUS, line, data, payload)
        return True

    def _typing(self, typing: TypingIndicator, payload: Mapping[str, Any]) -> bool:
        """Fire sendblue_typing_indicator."""
        contact, line = typing.number, typing.from_number
        if self._known_line(line) is None and self._known_line(contact):
            # Be tolerant of payloads that name the line in `number`.
            contact, line = line, contact
        key = ("typing", contact, line, typing.is_typing, _iso(typing.timestamp))
        if not self._typing_seen.add(key):
            return False
        if not self.is_allowed(contact):
            self._drop(contact)
            return True
        data = {
            "number": contact,
            "is_typing": typing.is_typing,
            "timestamp": _iso(typing.timestamp),
            ATTR_REPLAYED: False,
        }
        self._fire(EVENT_TYPING_INDICATOR, EVENT_TYPE_TYPING, line, data, payload)
        return True

    def _polled(self) -> Mapping[str, object]:
        """Return the account's lines, as last polled."""
        data = self._lines()
        return data.lines if data else {}

    def _known_line(self, *candidates: str | None) -> str | None:
        """Return the first candidate that is one of the account's lines."""
        lines = self._polled()
        # A loop, not next() over a generator: this runs for every text.
        for candidate in candidates:
            if candidate and candidate in lines:
                return candidate
        return None

    def _our_line(self, *candidates: str | None) -> str | None:
        """Return our line among the candidates, else the first one Sendblue named."""
        # A line we have not polled yet is still the line Sendblue names.
        return self._known_line(*candidates) or next((c for c in candidates if c), None)

    def _track(
        self,
        handle: str,
        line: str | None,
        *,
        sent: bool,
        when: datetime | None,
    ) -> None:
        """Remember the message's line and record the line's activity."""
        if line is None:
            return
        self.sent_lines.remember(handle, line)
        if line not in self._polled():
            return
        activity = self.activity.of(line)
        when = when or dt_util.utcnow()
        if sent:
            activity.last_sent = _latest(activity.last_sent, when)
        else:
            activity.last_received = _latest(activity.last_received, when)
        self.followers.async_activity(line)

    def _fire(
        self,
        event: str,
        event_type: str,
        line: str | None,
        data: dict[str, Any],
        payload: Mapping[str, Any],
    ) -> None:
        """Fire the bus event and tell the line's event entity, in one context."""
        data[ATTR_CONFIG_ENTRY_ID] = self.entry.entry_id
        data[ATTR_LINE] = line
        data["payload"] = payload
        context = Context()
        self.hass.bus.async_fire(event, data, context=context)
        if line:
            self.followers.async_event(line, event_type, data, context)


def _value(value: StrEnum | None) -> str | None:
    """Return an enum's wire value."""
    return value.value if value is not None else None


def _iso(value: datetime | None) -> str | None:
    """Return an ISO 8601 string for event data."""
    return value.isoformat() if value else None


def _latest(current: datetime | None, new: datetime) -> datetime:
    """Return the later of two times, ignoring a missing one."""
    return new if current is None or new > current else current
