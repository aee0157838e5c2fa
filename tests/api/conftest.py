"""Fixtures of the client tests: a recording fake Sendblue on 127.0.0.1."""

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import RawTestServer
from multidict import CIMultiDictProxy

from custom_components.sendblue.api import SendblueClient

KEY_ID = "key-id-7f3a21"
SECRET = "s3cr3t-9b1c77"
FIXTURES = {
    path.stem: json.loads(path.read_text(encoding="utf-8"))
    for path in (Path(__file__).parent / "fixtures").glob("*.json")
}


HOLD = "hold"  # in a stream: send nothing more until teardown
DROP = "drop"  # in a stream: close the connection without ending the answer


@dataclass
class Reply:
    """One programmed answer: JSON body, raw text, a hang or a dropped connection.

    stream answers text/event-stream, played step by step: bytes are sent, a float
    is a pause in seconds, HOLD and DROP are as above; the end ends the answer.
    """

    status: int = 200
    body: Any = None
    text: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    hang: bool = False  # answer only at teardown
    drop: bool = False  # close the connection instead of answering
    stream: list[bytes | float | str] | None = None


@dataclass
class Part:
    """One recorded multipart part."""

    name: str | None
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Recorded:
    """One recorded request."""

    method: str
    path: str  # raw, still percent-encoded
    raw_query: str
    query: dict[str, str]
    headers: CIMultiDictProxy[str]
    body: bytes
    json: Any
    parts: list[Part]


class FakeSendblue:
    """A programmable Sendblue: routes answer from a queue, the last answer repeats."""

    def __init__(self) -> None:
        """Start with no routes and no requests."""
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[Recorded] = []
        self.release = asyncio.Event()
        self.url = ""

    def add(self, method: str, path: str, *replies: object) -> None:
        """Program the answers of a route (raw path); plain values are JSON bodies."""
        self.routes[method, path] = [
            reply if isinstance(reply, Reply) else Reply(body=reply)
            for reply in replies
        ]

    def calls(self, method: str, path: str) -> list[Recorded]:
        """Return the requests made to one route."""
        return [r for r in self.requests if (r.method, r.path) == (method, path)]

    @property
    def last(self) -> Recorded:
        """Return the last request."""
        return self.requests[-1]

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Record the request and play the next programmed answer."""
        parts: list[Part] = []
        body = b""
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                assert isinstance(part, aiohttp.BodyPartReader)
                parts.append(
                    Part(
                        part.name,
                        part.filename,
                        part.headers.get("Content-Type"),
                        bytes(await part.read()),
                    )
                )
        else:
            body = await request.read()
        path, _, raw_query = request.raw_path.partition("?")
        self.requests.append(
            Recorded(
                method=request.method,
                path=path,
                raw_query=raw_query,
                query=dict(request.query),
                headers=request.headers,
                body=body,
                json=json.loads(body) if body else None,
                parts=parts,
            )
        )
        queue = self.routes.get((request.method, path))
        if not queue:
            return web.json_response(
                {"status": "ERROR", "message": "no route"}, status=404
            )
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if reply.hang:
            await self.release.wait()
        if reply.drop and request.transport is not None:
            request.transport.close()
        if reply.stream is not None:
            return await self._stream(request, reply.stream)
        if reply.text is not None:
            return web.Response(
                status=reply.status, text=reply.text, headers=reply.headers
            )
        if reply.body is None:
            return web.Response(status=reply.status, headers=reply.headers)
        return web.json_response(reply.body, status=reply.status, headers=reply.headers)

    async def _stream(
        self, request: web.BaseRequest, steps: list[bytes | float | str]
    ) -> web.StreamResponse:
        """Answer with an event stream played step by step."""
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for step in steps:
            if isinstance(step, bytes):
                await response.write(step)
            elif isinstance(step, float):
                await asyncio.sleep(step)
            elif step == HOLD:
                await self.release.wait()
            elif step == DROP and request.transport is not None:
                request.transport.close()
                return response
        await response.write_eof()
        return response


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(socket_enabled: None) -> None:
    """Override the root fixture: no Home Assistant here, but loopback sockets."""


@pytest.fixture
async def sendblue() -> AsyncIterator[FakeSendblue]:
    """Serve a fake Sendblue on a free port of 127.0.0.1."""
    fake = FakeSendblue()
    async with RawTestServer(fake.handle, host="127.0.0.1") as server:
        fake.url = str(server.make_url(""))
        yield fake
        fake.release.set()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Give an aiohttp session, as Home Assistant would inject."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(sendblue: FakeSendblue, session: aiohttp.ClientSession) -> SendblueClient:
    """Give a client of the fake Sendblue that never waits between retries."""
    return SendblueClient(
        KEY_ID, SECRET, session=session, base_url=sendblue.url, retry_backoff=0
    )
