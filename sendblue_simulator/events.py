"""The live event stream of GET /api/v2/events (§11.8): events, open streams, frames."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, TypedDict, Unpack

from .clock import Scheduler, TimerHandle
from .models import JSONDict, Message, iso

EVENT_TYPES = (
    "message.received",
    "message.created",
    "message.updated",
    "typing.changed",
    "line.assigned",
    "line.unassigned",
    "line.status.changed",
    "line.blocked",
    "contact.created",
    "verification.approved",
    "verification.expired",
    "verification.canceled",
)
EVENT_VERSION = 1
RETRY_FRAME = b"retry: 3000\n\n"
HEARTBEAT_FRAME = b": heartbeat\n\n"
OVERSIZED_DATA_BYTES = 1024 * 1024 + 1
UNKNOWN_TYPE = "thing.happened"
# What a client that ignored the missing id would look up (and find nothing).
PHANTOM_HANDLE = "00000000-0000-4000-8000-000000000000"


class DataShape(StrEnum):
    """How much of a message the `data` of a message event carries."""

    MINIMAL = "minimal"
    FULL = "full"
    IDS = "ids"


class MalformedKind(StrEnum):
    """A bad frame the control API can write to open streams."""

    INVALID_JSON = "invalid_json"
    MISSING_ID = "missing_id"
    OVERSIZED = "oversized"
    UNKNOWN_TYPE = "unknown_type"
    MULTILINE = "multiline"


class EventOptions(TypedDict, total=False):
    """The settings a control call may change (absent or None: unchanged)."""

    heartbeat_seconds: float | None
    rotate_seconds: float | None
    data_shape: DataShape | str | None
    available: bool | None


@dataclass
class EventSettings:
    """The stream's knobs (reset puts back the configured ones)."""

    heartbeat_seconds: float = 15.0
    rotate_seconds: float = 900.0
    data_shape: DataShape = DataShape.MINIMAL
    available: bool = True

    def as_json(self) -> JSONDict:
        """Describe the settings for the control API."""
        return {
            "heartbeat_seconds": self.heartbeat_seconds,
            "rotate_seconds": self.rotate_seconds,
            "data_shape": str(self.data_shape),
            "available": self.available,
        }


def message_data(msg: Message, shape: DataShape) -> JSONDict:
    """Return the `data` of a message event in the given shape."""
    match shape:
        case DataShape.FULL:
            return msg.record()
        case DataShape.IDS:
            return {"message_handle": msg.message_handle}
        case DataShape.MINIMAL:
            return {
                "message_handle": msg.message_handle,
                "status": msg.status,
                "is_outbound": msg.is_outbound,
                "sendblue_number": msg.sendblue_number,
                "number": msg.number,
                "date_updated": iso(msg.date_updated),
            }


def event_frame(event: JSONDict, *, split: bool = False) -> bytes:
    """Encode an event as an SSE frame (split: its JSON over several data lines)."""
    text = (
        json.dumps(event, indent=2)
        if split
        else json.dumps(event, separators=(",", ":"))
    )
    lines = [
        f"id: {event['id']}",
        f"event: {event['type']}",
        *(f"data: {line}" for line in text.splitlines()),
    ]
    return ("\n".join(lines) + "\n\n").encode()


def _data_frame(event_type: str | None, body: str) -> bytes:
    """Encode a frame without an id line (what the malformed ones look like)."""
    head = f"event: {event_type}\n" if event_type else ""
    return f"{head}data: {body}\n\n".encode()


class EventStream:
    """One open stream: its types filter, the frames waiting to go out, its timers."""

    def __init__(
        self,
        stream_id: int,
        types: frozenset[str] | None,
        opened_at: str | None,
        settings: EventSettings,
    ) -> None:
        """Open with the heartbeat and rotation of the settings of the moment."""
        self.stream_id = stream_id
        self.types = types
        self.opened_at = opened_at
        self.heartbeat_seconds = settings.heartbeat_seconds
        self.rotate_seconds = settings.rotate_seconds
        self.stalled = False
        self.rotation_overdue = False
        self.split_next = False
        self.events_sent = 0
        self.heartbeats_sent = 0
        self.heartbeat_timer: TimerHandle | None = None
        self.rotation_timer: TimerHandle | None = None
        self._frames: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._frames.put_nowait(RETRY_FRAME)

    def wants(self, event_type: str) -> bool:
        """Tell whether an event of this type goes out on this stream now."""
        return not self.stalled and (self.types is None or event_type in self.types)

    def push(self, frame: bytes) -> None:
        """Queue a frame for the writer."""
        self._frames.put_nowait(frame)

    def end(self) -> None:
        """Let the writer finish what is queued, then end the response."""
        for timer in (self.heartbeat_timer, self.rotation_timer):
            if timer is not None:
                timer.cancel()
        self._frames.put_nowait(None)

    async def next_frame(self) -> bytes | None:
        """Return the next frame to write, or None when the stream is over."""
        return await self._frames.get()

    def as_json(self) -> JSONDict:
        """Describe the stream for the control API."""
        return {
            "stream_id": self.stream_id,
            "types": sorted(self.types) if self.types is not None else None,
            "opened_at": self.opened_at,
            "heartbeat_seconds": self.heartbeat_seconds,
            "rotate_seconds": self.rotate_seconds,
            "stalled": self.stalled,
            "events_sent": self.events_sent,
            "heartbeats_sent": self.heartbeats_sent,
        }


class EventHub:
    """Numbers the account's events and fans them out to the open streams."""

    def __init__(self, scheduler: Scheduler, defaults: EventSettings) -> None:
        """Start with no stream open."""
        self._scheduler = scheduler
        self._defaults = defaults
        self.settings = replace(defaults)
        self.streams: dict[int, EventStream] = {}
        self.streams_opened = 0
        # Ids run on across reset: a client that reconnects after one would take
        # new events for ones it has already seen.
        self.events_emitted = 0
        self._stream_ids = itertools.count(1)
        self._changed = asyncio.Event()

    # ------------------------------------------------------------- settings

    def reset(self) -> None:
        """Close every stream and put the configured settings back."""
        self.drop()
        self.settings = replace(self._defaults)

    def configure(self, **options: Unpack[EventOptions]) -> JSONDict:
        """Change the settings (heartbeat and rotation apply to streams opened next)."""
        heartbeat_seconds = options.get("heartbeat_seconds")
        rotate_seconds = options.get("rotate_seconds")
        data_shape = options.get("data_shape")
        available = options.get("available")
        for name, value in (
            ("heartbeat_seconds", heartbeat_seconds),
            ("rotate_seconds", rotate_seconds),
        ):
            if value is not None and (isinstance(value, bool) or not value > 0):
                msg = f"{name} must be a positive number"
                raise ValueError(msg)
        shape = None if data_shape is None else DataShape(data_shape)
        settings = self.settings
        if heartbeat_seconds is not None:
            settings.heartbeat_seconds = float(heartbeat_seconds)
        if rotate_seconds is not None:
            settings.rotate_seconds = float(rotate_seconds)
        if shape is not None:
            settings.data_shape = shape
        if available is not None:
            settings.available = available
        return self.dump()

    # ------------------------------------------------------------- streams

    def open(self, types: Iterable[str] | None) -> EventStream:
        """Register a stream and start its heartbeat and rotation clocks."""
        self.streams_opened += 1
        stream = EventStream(
            next(self._stream_ids),
            None if types is None else frozenset(types),
            iso(self._scheduler.clock.now()),
            self.settings,
        )
        self.streams[stream.stream_id] = stream
        stream.rotation_timer = self._scheduler.call_later(
            stream.rotate_seconds, lambda: self._rotate(stream), background=True
        )
        self._arm_heartbeat(stream)
        self._notify()
        return stream

    def close(self, stream: EventStream) -> None:
        """Forget a stream (its writer ended); idempotent."""
        if self.streams.pop(stream.stream_id, None) is not None:
            stream.end()
            self._notify()

    def drop(self) -> int:
        """End every open stream now; return how many there were."""
        streams = list(self.streams.values())
        for stream in streams:
            self.close(stream)
        return len(streams)

    def stall(self) -> int:
        """Keep the open streams open but write nothing more to them."""
        for stream in self.streams.values():
            stream.stalled = True
        return len(self.streams)

    def resume(self) -> int:
        """Let stalled streams write again (an overdue rotation ends them at once)."""
        stalled = [s for s in self.streams.values() if s.stalled]
        for stream in stalled:
            stream.stalled = False
            if stream.rotation_overdue:
                self.close(stream)
        return len(stalled)

    async def wait_for_streams(self, count: int) -> None:
        """Wait until exactly count streams are open."""
        while len(self.streams) != count:
            await self._changed.wait()

    def _notify(self) -> None:
        """Wake whoever waits for the number of open streams to change."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _arm_heartbeat(self, stream: EventStream) -> None:
        """Plan the stream's next heartbeat."""
        stream.heartbeat_timer = self._scheduler.call_later(
            stream.heartbeat_seconds, lambda: self._heartbeat(stream), background=True
        )

    def _heartbeat(self, stream: EventStream) -> None:
        """Write a heartbeat comment (unless stalled) and plan the next one."""
        if not stream.stalled:
            stream.push(HEARTBEAT_FRAME)
            stream.heartbeats_sent += 1
        self._arm_heartbeat(stream)

    def _rotate(self, stream: EventStream) -> None:
        """End the stream at its rotation time (a stalled one when it resumes)."""
        if stream.stalled:
            stream.rotation_overdue = True
            return
        self.close(stream)

    # ------------------------------------------------------------- events

    def _next_id(self) -> str:
        """Take the next id of the account's event sequence."""
        self.events_emitted += 1
        return f"evt_{self.events_emitted:06d}"

    def _new_event(self, event_type: str, data: JSONDict) -> JSONDict:
        """Build the next event of the account."""
        return {
            "id": self._next_id(),
            "type": event_type,
            "occurred_at": iso(self._scheduler.clock.now()),
            "data": data,
            "version": EVENT_VERSION,
        }

    def publish(self, event_type: str, data: Callable[[DataShape], JSONDict]) -> None:
        """Send an event to every stream that wants it (data built only if one does)."""
        targets = [s for s in self.streams.values() if s.wants(event_type)]
        if not targets:
            # Live only: nobody hears it, but it still takes its place in the sequence.
            self._next_id()
            return
        event = self._new_event(event_type, data(self.settings.data_shape))
        frame = event_frame(event)
        for stream in targets:
            stream.push(event_frame(event, split=True) if stream.split_next else frame)
            stream.split_next = False
            stream.events_sent += 1

    def malformed(self, kind: MalformedKind | str) -> int:
        """Write one bad frame to every open stream that is not stalled."""
        kind = MalformedKind(kind)
        targets = [s for s in self.streams.values() if not s.stalled]
        if kind is MalformedKind.MULTILINE:
            # A valid event needs something to describe: the next real one.
            for stream in targets:
                stream.split_next = True
            return len(targets)
        frame = self._malformed_frame(kind)
        for stream in targets:
            stream.push(frame)
        return len(targets)

    def _malformed_frame(self, kind: MalformedKind) -> bytes:
        """Build the bad frame of kind (multiline aside)."""
        match kind:
            case MalformedKind.INVALID_JSON:
                return _data_frame(
                    "message.received", '{"type":"message.received","data":{"messa'
                )
            case MalformedKind.MISSING_ID:
                event = self._phantom_event()
                return _data_frame(
                    "message.received", json.dumps(event, separators=(",", ":"))
                )
            case MalformedKind.OVERSIZED:
                padding = "x" * OVERSIZED_DATA_BYTES
                return _data_frame(None, json.dumps({"padding": padding}))
            case _:
                return event_frame(self._new_event(UNKNOWN_TYPE, {"thing": "happened"}))

    def _phantom_event(self) -> dict[str, Any]:
        """Return a message.received event without an id."""
        return {
            "type": "message.received",
            "occurred_at": iso(self._scheduler.clock.now()),
            "data": {"message_handle": PHANTOM_HANDLE},
            "version": EVENT_VERSION,
        }

    # ------------------------------------------------------------- inspect

    def dump(self) -> JSONDict:
        """Return the `events` section of GET /_sim/state."""
        last = f"evt_{self.events_emitted:06d}" if self.events_emitted else None
        return self.settings.as_json() | {
            "open_streams": len(self.streams),
            "streams_opened": self.streams_opened,
            "events_emitted": self.events_emitted,
            "last_event_id": last,
            "streams": [stream.as_json() for stream in self.streams.values()],
        }
