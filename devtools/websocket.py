"""Home Assistant's websocket API: commands and event subscriptions."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable
from typing import Any, Self

import aiohttp

from .common import DevToolsError, JsonObject


class EventSubscription:
    """Events of one subscribe_events subscription, in the order fired."""

    def __init__(self, wait_s: float = 10.0) -> None:
        """Start with no events; next() waits at most wait_s for one."""
        self.queue: asyncio.Queue[JsonObject] = asyncio.Queue()
        self.wait_s = wait_s

    async def next(
        self, predicate: Callable[[JsonObject], bool] = lambda _: True
    ) -> JsonObject:
        """Return the next event matching predicate, dropping the others."""
        async with asyncio.timeout(self.wait_s):
            while True:
                event = await self.queue.get()
                if predicate(event):
                    return event

    def pending(self) -> list[JsonObject]:
        """Return (and take) the events received but not read yet."""
        events = []
        while not self.queue.empty():
            events.append(self.queue.get_nowait())
        return events


class HomeAssistantWebSocket:
    """Commands and event subscriptions on one websocket connection."""

    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, wait_s: float = 30.0
    ) -> None:
        """Wrap an authenticated connection; commands wait at most wait_s."""
        self._ws = ws
        self.wait_s = wait_s
        self._ids = itertools.count(1)
        self._results: dict[int, asyncio.Future[JsonObject]] = {}
        self._subscriptions: dict[int, EventSubscription] = {}
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        """Start reading messages."""
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop reading messages."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self) -> None:
        """Hand results to their callers and events to their subscriptions."""
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            # Home Assistant may coalesce several messages into one JSON array.
            for item in data if isinstance(data, list) else [data]:
                if item["type"] == "event" and item["id"] in self._subscriptions:
                    self._subscriptions[item["id"]].queue.put_nowait(item["event"])
                elif item["type"] == "result" and item["id"] in self._results:
                    self._results.pop(item["id"]).set_result(item)
        for future in self._results.values():
            future.set_exception(DevToolsError("websocket closed"))

    async def command(
        self,
        command_type: str,
        **fields: Any,  # noqa: ANN401 -- any command's fields
    ) -> Any:  # noqa: ANN401 -- any command's result
        """Send a command and return its result; fail on an error result."""
        return await self._send(next(self._ids), command_type, fields)

    async def _send(
        self, message_id: int, command_type: str, fields: JsonObject
    ) -> Any:  # noqa: ANN401 -- any command's result
        """Send one message and wait for its result."""
        future: asyncio.Future[JsonObject] = asyncio.get_running_loop().create_future()
        self._results[message_id] = future
        await self._ws.send_json({"id": message_id, "type": command_type, **fields})
        async with asyncio.timeout(self.wait_s):
            result = await future
        if not result.get("success"):
            msg = f"{command_type} failed: {result.get('error')}"
            raise DevToolsError(msg)
        return result.get("result")

    async def subscribe_events(self, event_type: str) -> EventSubscription:
        """Subscribe to one event type; events come in the returned subscription."""
        message_id = next(self._ids)
        # Registered before sending: an event may arrive right behind the result.
        subscription = self._subscriptions[message_id] = EventSubscription()
        await self._send(message_id, "subscribe_events", {"event_type": event_type})
        return subscription
