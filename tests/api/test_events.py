"""The live event stream against the recording fake Sendblue on 127.0.0.1."""

import json
import logging
import socket
from typing import Any

import aiohttp
import pytest

from custom_components.sendblue.api import (
    AccountEvent,
    EventType,
    SendblueAuthenticationError,
    SendblueCannotConnectError,
    SendblueClient,
    SendblueConnectionError,
    SendblueError,
    SendblueInputError,
    SendblueNotFoundError,
    SendblueRateLimitError,
    SendblueServerError,
    SendblueStreamNotAvailableError,
    SendblueTimeoutError,
)
from custom_components.sendblue.api.events import DEFAULT_READ_TIMEOUT, HEARTBEAT

from .conftest import DROP, HOLD, KEY_ID, SECRET, FakeSendblue, Reply

PATH = "/api/v2/events"


def frame(event_id: str, kind: str = "message.received", **data: object) -> bytes:
    """Render one documented event as an SSE frame."""
    body = {
        "id": event_id,
        "type": kind,
        "occurred_at": "2026-01-05T10:00:00Z",
        "data": data,
        "version": 1,
    }
    return f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(body)}\n\n".encode()


def play(sendblue: FakeSendblue, *steps: bytes | float | str) -> None:
    """Answer the event stream with these steps."""
    sendblue.add("GET", PATH, Reply(stream=list(steps)))


async def collect(client: SendblueClient, **kwargs: Any) -> list[AccountEvent]:  # noqa: ANN401 - stream_events' own
    """Read the whole stream."""
    async with client.stream_events(**kwargs) as stream:
        return [event async for event in stream]


async def test_events(client: SendblueClient, sendblue: FakeSendblue) -> None:
    """Events and heartbeats arrive in order; the stream keeps the last id and retry."""
    play(
        sendblue,
        b": connected\n\nretry: 2500\n\n",
        frame("evt_1", message_handle="h1", status="RECEIVED", content="Hi"),
        b": heartbeat\n\n",
        frame("evt_2", "line.status.changed", sendblue_number="+15122164639"),
    )
    async with client.stream_events() as stream:
        assert (stream.retry, stream.last_event_id) == (None, None)
        first = await anext(stream)
        assert stream.last_event_id == "evt_1"
        rest = [event async for event in stream]
        assert stream.retry == 2.5
        assert stream.last_event_id == "evt_2"
    assert [event.type for event in (first, *rest)] == [
        EventType.MESSAGE_RECEIVED,
        EventType.LINE_STATUS_CHANGED,
    ]
    assert first.message is not None
    assert first.message.content == "Hi"
    request = sendblue.requests[0]
    assert (request.method, request.path, request.query) == (
        "GET",
        "/api/v2/events",
        {},
    )
    assert request.headers["Accept"] == "text/event-stream"
    assert request.headers["sb-api-key-id"] == KEY_ID
    assert request.headers["sb-api-secret-key"] == SECRET
    assert "Last-Event-ID" not in request.headers


async def test_event_split_across_data_lines_and_chunks(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """JSON on several data lines, arriving in small pieces, is one event."""
    body = json.dumps(
        {"id": "e1", "type": "contact.created", "data": {"a": 1}}, indent=1
    )
    lines = "".join(f"data: {line}\r\n" for line in body.splitlines())
    wire = f"{lines}\r\n".encode()
    play(sendblue, *(wire[i : i + 7] for i in range(0, len(wire), 7)))
    (event,) = await collect(client)
    assert (event.id, event.type, event.data) == (
        "e1",
        EventType.CONTACT_CREATED,
        {"a": 1},
    )


async def test_heartbeats_only_then_end(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """A stream of nothing but heartbeats that Sendblue ends yields nothing."""
    play(sendblue, *[b": heartbeat\n\n"] * 5)
    assert await collect(client) == []


async def test_heartbeats_keep_a_quiet_stream_alive(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """Each heartbeat restarts the read timeout, however long the stream is quiet."""
    play(sendblue, *[b": heartbeat\n\n", 0.1] * 8, frame("late"))
    (event,) = await collect(client, read_timeout=0.5)
    assert event.id == "late"


async def test_stall_times_out(client: SendblueClient, sendblue: FakeSendblue) -> None:
    """No byte within read_timeout: iterating raises a timeout, to reconnect."""
    play(sendblue, frame("e1"), HOLD)
    async with client.stream_events(read_timeout=0.05) as stream:
        assert (await anext(stream)).id == "e1"
        with pytest.raises(SendblueTimeoutError):
            await anext(stream)


async def test_ended_stream_stays_ended(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """After Sendblue ends the stream, iterating again ends again."""
    play(sendblue, frame("e1"))
    async with client.stream_events() as stream:
        assert [event.id async for event in stream] == ["e1"]
        assert [event.id async for event in stream] == []


async def test_reentering_resumes(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """Entering the stream again reconnects from the last event it yielded."""
    # A frame cut off by the end of a stream is not finished by the next one.
    play(sendblue, b"retry: 1000\n\n", frame("e1"), b'data: {"id": "ghost"')
    stream = client.stream_events(last_event_id="e0")
    async with stream:
        assert [event.id async for event in stream] == ["e1"]
    play(sendblue, b"}\n\n", frame("e2"))
    async with stream:
        assert [event.id async for event in stream] == ["e2"]
        assert stream.retry == 1.0
    await stream.__aexit__(None, None, None)  # leaving twice is harmless
    assert [request.headers["Last-Event-ID"] for request in sendblue.requests] == [
        "e0",
        "e1",
    ]


async def test_dropped_connection(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """A connection lost mid-stream is a connection error, not the end."""
    play(sendblue, frame("e1"), b"data: {", DROP)
    async with client.stream_events() as stream:
        assert (await anext(stream)).id == "e1"
        with pytest.raises(SendblueConnectionError) as exc_info:
            await anext(stream)
    assert not isinstance(exc_info.value, SendblueCannotConnectError)


async def test_session_timeout_does_not_cut_the_stream(sendblue: FakeSendblue) -> None:
    """A session's overall timeout (aiohttp's default is 5 min) is not the stream's."""
    play(sendblue, b": heartbeat\n\n", 0.1, b": heartbeat\n\n", 0.1, frame("e1"))
    timeout = aiohttp.ClientTimeout(total=0.05)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = SendblueClient(KEY_ID, SECRET, session=session, base_url=sendblue.url)
        assert [event.id for event in await collect(client)] == ["e1"]


async def test_own_session(sendblue: FakeSendblue) -> None:
    """Without an injected session the client makes one for the stream."""
    play(sendblue, frame("e1"))
    async with SendblueClient(KEY_ID, SECRET, base_url=sendblue.url) as client:
        assert [event.id for event in await collect(client)] == ["e1"]
        assert client.session is not None
    assert client.session is None


async def test_bad_frames_are_skipped(
    client: SendblueClient, sendblue: FakeSendblue, caplog: pytest.LogCaptureFixture
) -> None:
    """Bad frames are skipped with one debug line each; unknown types still come."""
    caplog.set_level(logging.DEBUG, logger="custom_components.sendblue.api.events")
    big = json.dumps({"id": "big", "type": "message.received", "pad": "x" * 2**20})
    play(
        sendblue,
        b"id: f1\ndata: {not json\n\n",
        b'data: {"type": "message.received"}\n\n',
        f"data: {big}\n\n".encode(),
        frame("new", "invoice.paid"),
        frame("e2"),
    )
    events = await collect(client)
    assert [(event.id, event.type, event.type_name) for event in events] == [
        ("new", EventType.UNKNOWN, "invoice.paid"),
        ("e2", EventType.MESSAGE_RECEIVED, "message.received"),
    ]
    skipped = [
        (record.levelno, record.getMessage())
        for record in caplog.records
        if record.name == "custom_components.sendblue.api.events"
    ]
    assert skipped == [
        (logging.DEBUG, "Skipped an event (id f1) whose data is not JSON"),
        (logging.DEBUG, "Skipped an event without an id (type None)"),
        (logging.DEBUG, "Skipped an event whose data is over 1048576 bytes"),
    ]


async def test_types_and_last_event_id(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """The types go out as one comma-separated value; Last-Event-ID when resuming."""
    play(sendblue)
    await collect(
        client,
        types=[EventType.MESSAGE_RECEIVED, "Typing.Changed", "line.status.changed"],
        last_event_id="evt_9",
    )
    request = sendblue.requests[0]
    assert request.raw_query == (
        "types=message.received%2Ctyping.changed%2Cline.status.changed"
    )
    assert request.query == {
        "types": "message.received,typing.changed,line.status.changed"
    }
    assert request.headers["Last-Event-ID"] == "evt_9"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"types": ["message.recieved"]}, "types"),
        ({"types": ["unknown"]}, "types"),
        ({"types": []}, "types"),
        ({"types": "message.received"}, "types"),
        ({"read_timeout": 0}, "read_timeout"),
    ],
)
async def test_rejected_before_the_wire(
    client: SendblueClient, sendblue: FakeSendblue, kwargs: dict[str, Any], name: str
) -> None:
    """Bad arguments raise before anything is sent."""
    with pytest.raises(SendblueInputError) as exc_info:
        client.stream_events(**kwargs)
    assert exc_info.value.field == name
    assert not sendblue.requests


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, SendblueAuthenticationError),
        (403, SendblueAuthenticationError),
        (404, SendblueStreamNotAvailableError),
        (405, SendblueStreamNotAvailableError),
        (400, SendblueError),
        (429, SendblueRateLimitError),
        (500, SendblueServerError),
        (503, SendblueServerError),
    ],
)
async def test_error_statuses(
    client: SendblueClient,
    sendblue: FakeSendblue,
    status: int,
    error: type[SendblueError],
) -> None:
    """Opening maps statuses as every request does, once: no retries."""
    body = {"status": "ERROR", "message": f"Nope {SECRET}"}
    sendblue.add("GET", PATH, Reply(status, body, headers={"Retry-After": "7"}))
    with pytest.raises(error) as exc_info:
        await collect(client)
    assert exc_info.value.status == status
    assert SECRET not in str(exc_info.value)
    assert len(sendblue.requests) == 1
    if status == 429:
        assert isinstance(exc_info.value, SendblueRateLimitError)
        assert exc_info.value.retry_after == 7


async def test_no_stream_here(client: SendblueClient, sendblue: FakeSendblue) -> None:
    """A 200 that is no event stream means this host has none."""
    sendblue.add("GET", PATH, {"status": "OK"})
    with pytest.raises(SendblueStreamNotAvailableError) as exc_info:
        await collect(client)
    assert isinstance(exc_info.value, SendblueNotFoundError)
    assert "application/json" in str(exc_info.value)


async def test_cannot_connect(session: aiohttp.ClientSession) -> None:
    """Nothing listening: the stream cannot connect, and says so."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = SendblueClient(
        KEY_ID, SECRET, session=session, base_url=f"http://127.0.0.1:{port}"
    )
    with pytest.raises(SendblueCannotConnectError):
        await collect(client)


async def test_open_times_out(client: SendblueClient, sendblue: FakeSendblue) -> None:
    """Headers that never come are a timeout after request_timeout."""
    client.request_timeout = 0.05
    sendblue.add("GET", PATH, Reply(hang=True))
    with pytest.raises(SendblueTimeoutError):
        await collect(client)


async def test_iterating_unopened_stream(client: SendblueClient) -> None:
    """Iterating without async with is a programming error."""
    stream = client.stream_events()
    with pytest.raises(RuntimeError, match="async with"):
        await anext(stream)


def test_read_timeout_is_just_above_the_heartbeat() -> None:
    """The default read timeout outlasts one missed beat only a little."""
    assert HEARTBEAT == 15
    assert HEARTBEAT < DEFAULT_READ_TIMEOUT <= HEARTBEAT + 5
