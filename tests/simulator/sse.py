"""A plain reader of Server-Sent Events frames for the simulator tests."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

EVENTS = "/api/v2/events"
SSE = "text/event-stream"


@dataclass
class Frame:
    """One frame: its fields in order (a comment is the field named "")."""

    lines: list[tuple[str, str]]

    def values(self, name: str) -> list[str]:
        """Return every value of field name."""
        return [value for field, value in self.lines if field == name]

    def one(self, name: str) -> str | None:
        """Return the value of a field that appears at most once."""
        values = self.values(name)
        assert len(values) <= 1, self.lines
        return values[0] if values else None

    @property
    def data(self) -> Any:  # noqa: ANN401 -- any JSON value
        """Return the data lines joined and parsed as JSON."""
        return json.loads("\n".join(self.values("data")))

    @property
    def is_heartbeat(self) -> bool:
        """Tell whether the frame is the heartbeat comment."""
        return self.lines == [("", "heartbeat")]


class EventReader:
    """Read frames off an open event stream response."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        """Wrap a 200 text/event-stream response."""
        self.response = response
        self._buffer = b""

    async def frame(self) -> Frame | None:
        """Return the next frame, or None when the server ended the stream."""
        while b"\n\n" not in self._buffer:
            chunk = await self.response.content.readany()
            if not chunk:
                assert not self._buffer, self._buffer[:200]
                return None
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\n\n", 1)
        lines = []
        for line in raw.decode().split("\n"):
            name, _, value = line.partition(":")
            lines.append((name, value.removeprefix(" ")))
        return Frame(lines)

    async def event(self) -> dict[str, Any]:
        """Return the next frame as an event, checking its id and event lines."""
        frame = await self.frame()
        assert frame is not None
        event = frame.data
        assert frame.one("id") == event["id"]
        assert frame.one("event") == event["type"]
        return event

    async def end(self) -> list[Frame]:
        """Read until the stream ends; return the frames read on the way."""
        frames = []
        while (frame := await self.frame()) is not None:
            frames.append(frame)
        return frames


@asynccontextmanager
async def open_stream(
    api: aiohttp.ClientSession,
    *,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[EventReader]:
    """Open the event stream and read its retry frame."""
    async with api.get(
        EVENTS, params=params, headers={"Accept": SSE, **(headers or {})}
    ) as response:
        assert response.status == 200, await response.text()
        reader = EventReader(response)
        assert await reader.frame() == Frame([("retry", "3000")])
        yield reader
