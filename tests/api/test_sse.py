"""Server-Sent Events framing (WHATWG HTML 9.2.6) and reading events from frames."""

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from custom_components.sendblue.api import (
    AccountEvent,
    EventType,
    LineState,
    LineStatus,
    Message,
    MessageStatus,
    TypingIndicator,
)
from custom_components.sendblue.api.events import (
    MAX_EVENT_DATA,
    EventStreamParser,
    ServerSentEvent,
    account_event,
)

from .conftest import FIXTURES

LINE = "+15122164639"
USER = "+19998887777"
WHEN = "2026-01-05T10:00:00Z"
AT = datetime(2026, 1, 5, 10, tzinfo=UTC)


def frames(*chunks: bytes, parser: EventStreamParser | None = None) -> list[Any]:
    """Feed chunks to a parser; return the frames as (event, data, id)."""
    parser = parser or EventStreamParser()
    return [
        (frame.event, frame.data, frame.id)
        for chunk in chunks
        for frame in parser.feed(chunk)
    ]


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b"data: hi\n\n", [(None, "hi", None)]),
        (b"data: hi\r\n\r\n", [(None, "hi", None)]),
        (
            b"data: hi\r\rdata: two\r\n\ndata: 3\n\n",
            [(None, "hi", None), (None, "two", None), (None, "3", None)],
        ),
        (b"data: a\ndata: b\ndata\ndata:c\n\n", [(None, "a\nb\n\nc", None)]),
        (b"data:  two spaces\n\n", [(None, " two spaces", None)]),
        (b"data:\n\n", [(None, "", None)]),
        (
            b"event: message.received\nid: e1\ndata: {}\n\n",
            [("message.received", "{}", "e1")],
        ),
        (b": heartbeat\n\n: another\n\n", []),
        (b"id: only-an-id\n\nevent: nothing\n\n", []),
        (b"color: blue\ndata: x\nfoo\n\n", [(None, "x", None)]),
        (b"\xef\xbb\xbfdata: bom\n\n", [(None, "bom", None)]),
        (b"data: \xef\xbb\xbfkept\n\n", [(None, "\ufeffkept", None)]),
        (b"data: caf\xc3\xa9 \xff\n\n", [(None, "caf\u00e9 \ufffd", None)]),
        (b"data: never dispatched\n", []),
        (b"id: a\0b\ndata: x\n\n", [(None, "x", None)]),
        (b"id:\ndata: x\n\n", [(None, "x", None)]),
    ],
    ids=[
        "lf",
        "crlf",
        "cr-and-mixed",
        "multi-line-data",
        "one-space-stripped",
        "empty-data",
        "event-and-id",
        "comments-are-heartbeats",
        "no-data-no-dispatch",
        "unknown-fields-and-bare-names",
        "bom-at-start",
        "bom-later-kept",
        "utf8-with-replacement",
        "unterminated-frame",
        "id-with-nul-ignored",
        "empty-id",
    ],
)
def test_framing(stream: bytes, expected: list[Any]) -> None:
    """Each line and field rule of the spec, fed whole and one byte at a time."""
    assert frames(stream) == expected
    assert frames(*(stream[i : i + 1] for i in range(len(stream)))) == expected


def test_empty_chunk() -> None:
    """An empty read completes nothing and keeps a pending CR pending."""
    parser = EventStreamParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"") == []
    assert frames(b"\n\n", parser=parser) == [(None, "a", None)]


def test_cr_lf_split_across_chunks() -> None:
    """A CR ending one chunk and the LF starting the next are one line end."""
    assert frames(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [
        (None, "a\nb", None)
    ]


def test_multibyte_split_across_chunks() -> None:
    """A character split between two chunks decodes whole."""
    assert frames(b"data: caf\xc3", b"\xa9\n\n") == [(None, "caf\u00e9", None)]


def test_ids_and_retry_carry_over() -> None:
    """The stream keeps the last id and retry; a frame names only its own id."""
    parser = EventStreamParser()
    got = frames(
        b"retry: 2500\nid: 1\ndata: a\n\ndata: b\n\nretry: soon\nretry:\nid: 3\n\n",
        parser=parser,
    )
    assert got == [(None, "a", "1"), (None, "b", None)]
    assert parser.retry == 2500
    assert parser.last_event_id == "3"


def test_oversize_frames_are_skipped(caplog: pytest.LogCaptureFixture) -> None:
    """Data over the limit is dropped with one debug line; what follows is read."""
    caplog.set_level(logging.DEBUG)
    parser = EventStreamParser(max_data=8)
    got = frames(
        b"data: 1234\ndata: 567\n\n",  # 8 bytes with the joining newline: kept
        b"data: 1234\ndata: 5678\n\n",  # 9: dropped
        b"data: 123456789\n\n",  # one line over: dropped
        b"data: ok\n\n",
        parser=parser,
    )
    assert got == [(None, "1234\n567", None), (None, "ok", None)]
    assert caplog.text.count("over 8 bytes") == 2


def test_overlong_line_is_never_held(caplog: pytest.LogCaptureFixture) -> None:
    """A line longer than any frame may be is dropped as it arrives, not buffered."""
    caplog.set_level(logging.DEBUG)
    parser = EventStreamParser(max_data=8)
    for chunk in (b"id: 1\ndata: ", *[b"x" * 5] * 10):
        assert parser.feed(chunk) == []
        assert len(parser._pending) <= 8 + len(b"data: ")
    # The rest of the line, then its frame ends: all of that frame goes.
    got = frames(b"xx\r", b"\ndata: more\n\ndata: ok\n\n", parser=parser)
    assert got == [(None, "ok", None)]
    assert caplog.text.count("over 8 bytes") == 1


def test_default_limit_is_one_mebibyte() -> None:
    """The default limit is 1 MiB of data."""
    big = b"x" * MAX_EVENT_DATA
    assert MAX_EVENT_DATA == 1024 * 1024
    assert frames(b"data: " + big + b"\n\n") == [(None, big.decode(), None)]
    assert frames(b"data: " + big + b"x\n\n") == []


# -- events from frames --------------------------------------------------------


def event(
    data: object,
    *,
    event: str | None = None,
    id: str | None = None,  # noqa: A002 - the frame's field
) -> AccountEvent | None:
    """Read an AccountEvent from a frame carrying data as JSON."""
    text = data if isinstance(data, str) else json.dumps(data)
    return account_event(ServerSentEvent(data=text, event=event, id=id))


def test_documented_event() -> None:
    """The documented event (API reference 11.8) reads into a typed AccountEvent."""
    got = event(FIXTURES["account_event"], event="ignored", id="ignored")
    handle = {"message_handle": "99DCC379-DD76-4712-BA65-11EFB33B8CD6"}
    assert got == AccountEvent(
        id="evt_01JGZ8Y3K2T4",
        type=EventType.MESSAGE_RECEIVED,
        type_name="message.received",
        occurred_at=AT,
        data=handle,
        version=1,
    )
    assert got.message is None
    assert got.message_id == handle["message_handle"]
    assert json.loads(json.dumps(got.to_dict())) == {
        **FIXTURES["account_event"],
        "type_name": "message.received",
        "occurred_at": "2026-01-05T10:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("data", "frame", "expected"),
    [
        ({"type": "line.blocked"}, {"id": "f1"}, ("f1", EventType.LINE_BLOCKED)),
        ({"id": 42}, {"event": "contact.created"}, ("42", EventType.CONTACT_CREATED)),
        (
            {"id": "", "type": ""},
            {"id": "f", "event": "typing.changed"},
            ("f", EventType.TYPING_CHANGED),
        ),
        (
            {"id": "e", "type": "Line.Status.Changed"},
            {},
            ("e", EventType.LINE_STATUS_CHANGED),
        ),
    ],
)
def test_frame_fields_fill_in(
    data: dict[str, Any], frame: dict[str, str], expected: tuple[str, EventType]
) -> None:
    """Without an id or type in the JSON, the frame's id and event fields serve."""
    got = event(data, **frame)
    assert got is not None
    assert (got.id, got.type) == expected


@pytest.mark.parametrize(
    ("data", "type_name", "occurred_at", "version", "payload"),
    [
        ({"id": "e", "type": "invoice.paid"}, "invoice.paid", None, None, {}),
        ({"id": "e", "occurredAt": WHEN, "version": "2"}, "", AT, 2, {}),
        (
            {"id": "e", "occurred_at": "soon", "version": True, "data": [1]},
            "",
            None,
            None,
            {},
        ),
    ],
)
def test_odd_events_are_kept(
    data: dict[str, Any],
    type_name: str,
    occurred_at: datetime | None,
    version: int | None,
    payload: dict[str, Any],
) -> None:
    """Unknown types and odd values still make an event: the caller decides."""
    got = event(data)
    assert got is not None
    assert got.type is EventType.UNKNOWN
    assert (got.type_name, got.occurred_at, got.version, got.data) == (
        type_name,
        occurred_at,
        version,
        payload,
    )


@pytest.mark.parametrize(
    ("data", "frame", "log"),
    [
        ("{not json", {"id": "e"}, "not JSON"),
        ("", {"id": "e"}, "not JSON"),
        ('["e"]', {"id": "e"}, "not an object"),
        ({"type": "message.received"}, {}, "without an id"),
        ({"id": True}, {"event": "message.received"}, "without an id"),
    ],
)
def test_bad_frames_are_skipped(
    caplog: pytest.LogCaptureFixture,
    data: object,
    frame: dict[str, str],
    log: str,
) -> None:
    """Invalid JSON, a non-object or no id at all: None, with one debug line."""
    caplog.set_level(logging.DEBUG)
    assert event(data, **frame) is None
    assert len(caplog.records) == 1
    assert caplog.records[0].levelno == logging.DEBUG
    assert log in caplog.records[0].getMessage()


# -- helpers of AccountEvent ----------------------------------------------------


def account(kind: str, data: dict[str, Any], **fields: str) -> AccountEvent:
    """Build an event of a type with data."""
    return AccountEvent.from_dict({"id": "e", "type": kind, "data": data, **fields})


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"message_handle": "h", "status": "DELIVERED", "number": USER},
            Message(message_handle="h", status=MessageStatus.DELIVERED, number=USER),
        ),
        (
            {"messageHandle": "h", "content": ""},
            Message(message_handle="h", content=""),
        ),
        ({"message_handle": "h"}, None),
        ({"message_id": "h", "status": "SENT"}, None),
        ({"status": "SENT", "content": "Hi"}, None),
        ({}, None),
    ],
)
def test_message(data: dict[str, Any], expected: Message | None) -> None:
    """An event's message is there only when data holds a message, not only ids."""
    assert account("message.updated", data).message == expected


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (
            "message.received",
            {"message_id": "m1", "id": "x", "message_handle": "h"},
            "m1",
        ),
        ("message.created", {"id": 7, "message_handle": "h"}, "7"),
        ("message.updated", {"message_handle": "h"}, "h"),
        ("message.updated", {"messageHandle": "h"}, "h"),
        ("message.updated", {"message_id": "", "id": None}, None),
        ("contact.created", {"id": "c1"}, None),
        ("invoice.paid", {"message_id": "m1"}, None),
    ],
)
def test_message_id(kind: str, data: dict[str, Any], expected: str | None) -> None:
    """Message events name the id to fetch their message with; others none."""
    assert account(kind, data).message_id == expected


def test_typing_indicator() -> None:
    """typing.changed reads as a TypingIndicator, timed by the event if need be."""
    data = {"number": USER, "is_typing": True, "from_number": LINE}
    assert account("typing.changed", data, occurred_at=WHEN).typing_indicator == (
        TypingIndicator(number=USER, is_typing=True, from_number=LINE, timestamp=AT)
    )
    own = {
        **data,
        "isTyping": False,
        "is_typing": "no",
        "timestamp": "2026-01-05T09:00:00Z",
    }
    indicator = account("typing.changed", own, occurred_at=WHEN).typing_indicator
    assert indicator is not None
    assert indicator.is_typing is False
    assert indicator.timestamp == datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert account("typing.changed", {"number": USER}).typing_indicator is None
    assert account("message.received", data).typing_indicator is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"sendblue_number": LINE, "status": "DEGRADED"},
            LineState(
                sendblue_number=LINE, status=LineStatus.DEGRADED, status_changed_at=AT
            ),
        ),
        (
            {
                "line": LINE,
                "new_status": "online",
                "status_changed_at": "2026-01-05T09:00:00Z",
            },
            LineState(
                sendblue_number=LINE,
                status=LineStatus.ONLINE,
                status_changed_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
            ),
        ),
        (
            {"number": LINE, "line_status": "rebooting"},
            LineState(
                sendblue_number=LINE, status=LineStatus.UNKNOWN, status_changed_at=AT
            ),
        ),
        ({"status": "OFFLINE"}, None),
    ],
)
def test_line_state(data: dict[str, Any], expected: LineState | None) -> None:
    """line.status.changed reads as the line and its new status."""
    assert account("line.status.changed", data, occurred_at=WHEN).line_state == expected
    assert account("line.blocked", data).line_state is None
