"""In-process helpers for tests: start a simulator, and record webhooks it posts."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .clock import Clock
from .server import Simulator


@asynccontextmanager
async def start_simulator(
    *,
    clock: Clock | None = None,
    **options: Any,  # noqa: ANN401 -- SimulatorConfig fields
) -> AsyncIterator[Simulator]:
    """Run a simulator on a free 127.0.0.1 port for the duration of the block."""
    simulator = Simulator.from_options(clock=clock, **options)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@dataclass
class ReceivedWebhook:
    """One POST the receiver got."""

    path: str
    headers: dict[str, str]
    body: Any
    status: int


class WebhookReceiver:
    """A small aiohttp server on 127.0.0.1 that records the webhooks posted to it."""

    def __init__(self) -> None:
        """Create a receiver that answers 200 unless told otherwise."""
        self.received: list[ReceivedWebhook] = []
        self._responses: dict[str, deque[int]] = defaultdict(deque)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def url(self, path: str = "/hook") -> str:
        """Return the URL of path on this receiver."""
        return f"{self.base_url}{path}"

    def respond_with(self, path: str, statuses: Iterable[int]) -> None:
        """Answer the next POSTs to path with these statuses (then 200)."""
        self._responses[path].extend(statuses)

    def bodies(self, path: str | None = None) -> list[Any]:
        """Return received bodies (for one path, or all)."""
        return [r.body for r in self.received if path is None or r.path == path]

    async def wait_for(
        self, count: int, max_wait: float = 5.0
    ) -> list[ReceivedWebhook]:
        """Wait until count POSTs have arrived."""
        async with asyncio.timeout(max_wait), self._changed:
            await self._changed.wait_for(lambda: len(self.received) >= count)
        return list(self.received)

    async def _handle(self, request: web.Request) -> web.Response:
        """Record a POST and answer with the planned status."""
        raw = await request.read()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        planned = self._responses.get(request.path)
        status = planned.popleft() if planned else 200
        async with self._changed:
            self.received.append(
                ReceivedWebhook(request.path, dict(request.headers), body, status)
            )
            self._changed.notify_all()
        return web.Response(status=status, text="ok")

    async def start(self) -> None:
        """Listen on a free 127.0.0.1 port."""
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@asynccontextmanager
async def start_webhook_receiver() -> AsyncIterator[WebhookReceiver]:
    """Run a WebhookReceiver for the duration of the block."""
    receiver = WebhookReceiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()
