"""The account's live event stream, ``GET /api/v2/events`` (Server-Sent Events).

Sendblue beats every 15 s and ends the stream after at most 15 minutes; the stream is
live, not a replay log, so the caller reconnects and repairs gaps from the list
endpoints. Nothing here retries.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from json import loads
from typing import TYPE_CHECKING, Any, Self

from .exceptions import SendblueStreamNotAvailableError
from .models import AccountEvent, _identifier, _text

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aiohttp import ClientResponse

    from .transport import Transport

PATH = "/api/v2/events"
HEARTBEAT = 15.0
# Just above the heartbeat: silence that long means the stream is dead.
DEFAULT_READ_TIMEOUT = HEARTBEAT + 5.0
MAX_EVENT_DATA = 1024 * 1024  # bytes of one event's data
_LINE_END = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"
_DATA_FIELD = b"data: "
_NOT_AVAILABLE = {HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED}
_LOGGER = logging.getLogger(__name__)


def _decode(value: bytes) -> str:
    """Decode a field value as the stream's UTF-8."""
    return value.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched frame: its data, and its own event and id fields if any."""

    data: str
    event: str | None = None
    id: str | None = None


class EventStreamParser:
    """Split a text/event-stream body into frames, as WHATWG HTML (9.2.6) reads it.

    Lines end in CRLF, CR or LF; a blank line dispatches the frame; a line starting
    with ":" is a comment (Sendblue's heartbeat); "name: value" loses one space after
    the colon and a line without a colon is a field with an empty value. A frame
    without data lines dispatches nothing, nor does a frame whose data is over
    max_data bytes (it is never kept whole in memory). Unlike a browser's
    EventSource, a frame keeps only its own id and event fields (None if it had
    none); the stream's last id is last_event_id.
    """

    def __init__(self, *, max_data: int = MAX_EVENT_DATA) -> None:
        """Start before the first byte of a stream."""
        self.max_data = max_data
        self.retry: int | None = None  # milliseconds, from the last valid retry field
        self.last_event_id = ""
        self._pending = b""
        self._skip_lf = False
        self._discarding = False
        self._started = False
        self._start_frame()

    def _start_frame(self) -> None:
        """Forget the frame being read."""
        self._data: list[bytes] = []
        self._size = 0
        self._has_data = False
        self._too_large = False
        self._event: str | None = None
        self._id: str | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Take the next bytes of the stream; return the frames they complete."""
        if not chunk:
            return []
        # A CR that ended the last chunk and an LF that starts this one are one
        # line end, not two (the second would dispatch a frame too early).
        if self._skip_lf and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._skip_lf = chunk.endswith(b"\r")
        *lines, self._pending = _LINE_END.split(self._pending + chunk)
        frames: list[ServerSentEvent] = []
        for line in lines:
            if self._discarding:
                # The end of a line too long to keep.
                self._discarding = False
                continue
            if (frame := self._line(line)) is not None:
                frames.append(frame)
        if len(self._pending) > self.max_data + len(_DATA_FIELD):
            # No line of a frame we keep is this long: drop it as it comes.
            self._pending = b""
            self._discarding = True
            self._too_large = True
        return frames

    def _line(self, line: bytes) -> ServerSentEvent | None:
        """Read one line; return the frame a blank line completes."""
        if not self._started:
            self._started = True
            line = line.removeprefix(_BOM)
        if not line:
            return self._dispatch()
        if line.startswith(b":"):
            return None
        name, colon, value = line.partition(b":")
        if colon and value.startswith(b" "):
            value = value[1:]
        self._field(name, value)
        return None

    def _field(self, name: bytes, value: bytes) -> None:
        """Take one field of the frame being read; unknown fields are ignored."""
        if name == b"data":
            self._has_data = True
            # Each line counts with the newline that joins it to the next.
            self._size += len(value) + 1
            self._too_large |= self._size > self.max_data + 1
            if self._too_large:
                self._data.clear()
            else:
                self._data.append(value)
        elif name == b"event":
            self._event = _decode(value)
        elif name == b"id":
            if b"\0" not in value:
                self._id = self.last_event_id = _decode(value)
        elif name == b"retry" and value.isdigit():
            self.retry = int(value)

    def _dispatch(self) -> ServerSentEvent | None:
        """Complete the frame being read."""
        frame = (
            ServerSentEvent(
                data=_decode(b"\n".join(self._data)),
                event=self._event,
                id=self._id or None,
            )
            if self._has_data and not self._too_large
            else None
        )
        if self._too_large:
            _LOGGER.debug("Skipped an event whose data is over %d bytes", self.max_data)
        self._start_frame()
        return frame


def account_event(frame: ServerSentEvent) -> AccountEvent | None:
    """Read the event in a frame's data; None (logged) if it is not a valid one."""
    try:
        body = loads(frame.data)
    except ValueError:
        _LOGGER.debug("Skipped an event (id %s) whose data is not JSON", frame.id)
        return None
    if not isinstance(body, dict):
        _LOGGER.debug("Skipped an event (id %s) that is not an object", frame.id)
        return None
    event_id = _identifier(body.get("id")) or frame.id
    if event_id is None:
        _LOGGER.debug("Skipped an event without an id (type %s)", frame.event)
        return None
    kind = _text(body.get("type")) or frame.event or ""
    return AccountEvent.from_dict({**body, "id": event_id, "type": kind})


class EventStream:
    """The account's live events: open it with ``async with``, then iterate it.

    Iterating yields AccountEvent and ends when Sendblue ends the stream. It raises
    SendblueTimeoutError after read_timeout seconds without a byte (event or
    heartbeat) and SendblueConnectionError when the connection fails; reconnect
    then. Opening raises SendblueAuthenticationError (401, 403),
    SendblueStreamNotAvailableError (404, 405, or an answer that is no event
    stream) and otherwise what any request raises.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        params: Mapping[str, Any],
        read_timeout: float,
        last_event_id: str | None = None,
    ) -> None:
        """Prepare the stream; nothing is sent until it is entered."""
        self._transport = transport
        self._params = params
        self._read_timeout = read_timeout
        self._resume_from = last_event_id
        self._parser = EventStreamParser()
        self._frames: deque[ServerSentEvent] = deque()
        self._response: ClientResponse | None = None
        self.last_event_id: str | None = None

    @property
    def retry(self) -> float | None:
        """Return the last reconnection delay Sendblue asked for, in seconds."""
        return None if self._parser.retry is None else self._parser.retry / 1000

    async def __aenter__(self) -> Self:
        """Open the stream (again: resuming after the last event it yielded)."""
        resume = self.last_event_id or self._resume_from
        headers = {"Last-Event-ID": resume} if resume else None
        # A fresh connection starts framing afresh; Sendblue's retry hint stands.
        retry, self._parser = self._parser.retry, EventStreamParser()
        self._parser.retry = retry
        self._frames.clear()
        response = await self._transport.open_stream(
            PATH, params=self._params, headers=headers
        )
        if response.status in _NOT_AVAILABLE:
            response.release()
            msg = "Sendblue has no live event stream for this account"
            raise SendblueStreamNotAvailableError(msg, status=response.status)
        if response.status >= HTTPStatus.BAD_REQUEST:
            raise await self._transport.read_error(response)
        if response.content_type != "text/event-stream":
            response.release()
            msg = f"Sendblue answered the event stream with {response.content_type}"
            raise SendblueStreamNotAvailableError(msg, status=response.status)
        self._response = response
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        """Close the stream's connection."""
        if self._response is not None:
            self._response.close()
        self._response = None

    def __aiter__(self) -> Self:
        """Iterate the events."""
        return self

    async def __anext__(self) -> AccountEvent:
        """Return the next valid event, reading as much as it takes."""
        if self._response is None:
            msg = "Open the event stream with async with before iterating it"
            raise RuntimeError(msg)
        while True:
            while self._frames:
                if (event := account_event(self._frames.popleft())) is not None:
                    self.last_event_id = event.id
                    return event
            seconds = self._read_timeout
            with self._transport.mapped_errors(seconds):
                async with asyncio.timeout(seconds):
                    chunk = await self._response.content.readany()
            if not chunk:
                raise StopAsyncIteration
            self._frames.extend(self._parser.feed(chunk))
