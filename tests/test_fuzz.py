"""Fuzz the webhook through Home Assistant's HTTP stack with Hypothesis.

How the examples run: pytest-asyncio runs each example of an async ``@given`` test as
one coroutine on the test's event loop, so ``hass`` with the integration set up (mocked
client, ``init_integration``) and the HTTP client are made once per test function and
shared by all its examples; hence the suppressed ``function_scoped_fixture`` health
check. That is sound because each example starts from the same state (the dedupe
memory and the lines' activity are reset) and each request is judged only by its own
answer, its own events and the log records it caused, so Hypothesis replays and
shrinks faithfully. An example posts a batch of bodies, which cuts Hypothesis'
per-example overhead; a failure names the offending body.

Two Hypothesis profiles, chosen with HYPOTHESIS_PROFILE: by default ("quick") every
run posts the same few hundred bodies (derandomized, no example database), a smoke
test of the contract; "fuzz" (scripts/test --fuzz, nightly in CI) posts the full
9,000 with random seeds and keeps failing examples in .hypothesis/ to replay them
first. Each test prints how many bodies it posted and checks it reached its share.
"""

from __future__ import annotations

import copy
import gzip
import json
import logging
import os
import time
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from compression import zstd
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http import HTTPStatus
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from aiohttp.http_exceptions import ContentEncodingError
from aiohttp.test_utils import TestClient
from aiohttp.web import Application, Request
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers.json import json_bytes
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sendblue.const import (
    DEDUPE_SIZE,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
    EVENT_TYPING_INDICATOR,
    MAX_WEBHOOK_BODY,
    WEBHOOK_SECRET_HEADER,
)
from custom_components.sendblue.inbound import BoundedSet

from .conftest import WEBHOOK_ID, WEBHOOK_SECRET, load_json

PATH = f"/api/webhook/{WEBHOOK_ID}"
BATCH = 10
# Payloads nested deeper than this may be refused (400): Sendblue's are 2 deep, and a
# handler may bound nesting. Up to this depth the status is fully determined.
STRICT_DEPTH = 16
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)

DOCUMENTED = tuple(
    load_json(name)
    for name in (
        "webhook_message_received.json",
        "webhook_status_sent.json",
        "webhook_typing.json",
    )
)
DATE_KEYS = ("date_sent", "date_updated", "timestamp", "dateSent", "date_created")
KNOWN_KEYS = sorted(
    {key for payload in DOCUMENTED for key in payload}
    | {"messageHandle", "isTyping", "fromNumber", "toNumber", "isOutbound"}
    | set(DATE_KEYS)
)
INTERESTING = (
    "",
    " ",
    "\x00",
    "null",
    "true",
    "0",
    "-1",
    "1e999",
    "+15122164639",
    "+19998887777",
    "+1",
    "owner@example.com",
    "RECEIVED",
    "received",
    "SENT",
    "ERROR",
    "QUEUED",
    "iMessage",
    "SMS",
    "group",
    "message",
    "\u202e\u200b",
    "%s%n%x",
    "{{ states('sun.sun') }}",
    "<script>alert(1)</script>",
    "../../../etc/passwd",
    "2025-13-45T99:99:99Z",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-23:59",
)
INVALID_UTF8 = (
    b"\xff",
    b"\xfe\xff",
    b"\x80",
    b"\xc0\xaf",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xf8\x88\x80\x80\x80",
)
CONTENT_TYPES = (
    None,
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/octet-stream",
    "image/png",
    "application/json; charset=",
    "*/*",
)
# "br" without Brotli installed is refused by aiohttp itself, before any Home
# Assistant code runs.
RAW_KINDS = ("binary", "truncate", "invalid_utf8", "flip", "bom", "recode", "form")
ENCODINGS = (
    "br",
    "gzip",
    "deflate",
    "zstd",
    "gzip-garbage",
    "deflate-garbage",
    "zstd-garbage",
    "identity",
    "bogus",
)
COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "zstd": zstd.compress,
}
# Each test's share of the full corpus (the fuzz profile); the quick profile posts a
# twentieth of it. Requests without the right secret are tests/test_webhook.py's.
CORPUS = {
    "test_fuzz_json_values": 2000,
    "test_fuzz_documented_payloads": 4000,
    "test_fuzz_raw_bodies": 2500,
    "test_fuzz_timestamps": 500,
}
QUICK_SHARE = 20
EVENTS = (EVENT_MESSAGE_RECEIVED, EVENT_MESSAGE_STATUS, EVENT_TYPING_INDICATOR)
pytestmark = [
    # Hypothesis' own PRNG registration misjudges reference counts on Python 3.14.
    pytest.mark.filterwarnings(
        "ignore:It looks like `register_random`:hypothesis.errors.HypothesisWarning"
    ),
    # A failing batch may hold megabyte bodies; the failure names the guilty one.
    pytest.mark.filterwarnings(
        "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
    ),
]
BASE_SETTINGS = settings(
    deadline=None,
    print_blob=False,
    # No explain phase: it replays big failing batches many times, and each failure
    # already names the body that broke a property.
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
settings.register_profile("quick", BASE_SETTINGS, derandomize=True, database=None)
settings.register_profile(
    "fuzz",
    BASE_SETTINGS,
    derandomize=False,
    # In the repository, not the cwd: a found failure is replayed first next time.
    database=DirectoryBasedExampleDatabase(
        Path(__file__).parent.parent / ".hypothesis" / "examples"
    ),
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "quick")
settings.load_profile(PROFILE)


def quota(test: str) -> int:
    """Return how many bodies a test posts under the loaded profile (whole batches)."""
    batches = CORPUS[test] // BATCH // (1 if PROFILE == "fuzz" else QUICK_SHARE)
    return max(batches, 1) * BATCH


def examples(test: str) -> settings:
    """Return the settings of a test: the loaded profile, its quota in batches."""
    return settings(max_examples=quota(test) // BATCH)


# -- what a request is and what it may get -----------------------------------------


@dataclass(frozen=True, kw_only=True)
class Case:
    """One POST: the body on the wire, its headers, and how to judge the answer."""

    wire: bytes
    headers: dict[str, str]
    chunked: bool = False
    # The statuses the contract allows; the first request that gets another fails.
    allowed: frozenset[int]
    # How many events the request must fire when it is accepted (200).
    events_min: int = 0
    events_max: int = 1
    # Typing payloads may only fire the typing event.
    typing: bool = False
    note: str = ""

    def describe(self) -> str:
        """Return a short description of the case for a failure message."""
        shown = self.wire[:300]
        more = f" … ({len(self.wire)} bytes)" if len(self.wire) > len(shown) else ""
        sent = f"headers={self.headers} chunked={self.chunked}"
        return f"{self.note} {sent} body={shown!r}{more}"


def depth(value: object) -> int:
    """Return how deeply lists and objects nest in a JSON value."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
        else:
            deepest = max(deepest, level)
            continue
        deepest = max(deepest, level + 1)
    return deepest


def nest(value: object, levels: int, *, as_list: bool) -> object:
    """Wrap a value in levels of lists or objects (built iteratively: no recursion)."""
    for _ in range(levels):
        value = [value] if as_list else {"n": value}
    return value


def judge_document(document: object, wire: bytes) -> dict[str, Any]:
    """Return what the contract says about a JSON document sent as wire."""
    if len(wire) > MAX_WEBHOOK_BODY:
        return {"allowed": frozenset({HTTPStatus.REQUEST_ENTITY_TOO_LARGE})}
    accepted = isinstance(document, dict) and (
        isinstance(document.get("is_typing"), bool)
        or (
            isinstance(document.get("message_handle"), str)
            and bool(document["message_handle"])
        )
    )
    if not accepted:
        return {"allowed": frozenset({HTTPStatus.BAD_REQUEST})}
    assert isinstance(document, dict)
    typing = isinstance(document.get("is_typing"), bool)
    allowed = {HTTPStatus.OK}
    if depth(document) > STRICT_DEPTH:
        allowed.add(HTTPStatus.BAD_REQUEST)
    return {
        "allowed": frozenset(allowed),
        "typing": typing,
        # A message with a handle never seen fires exactly one event; typing
        # indicators are deduped on their content, so at most one.
        "events_min": 0 if typing else 1,
    }


# -- strategies ------------------------------------------------------------------------

offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
# Hypothesis takes naive bounds (the drawn moments get their offsets).
FIRST_DAY_END = datetime(1, 1, 2, tzinfo=UTC).replace(tzinfo=None)
LAST_DAY_START = datetime(9999, 12, 30, tzinfo=UTC).replace(tzinfo=None)
# Any moment, often one within a day of either end of the calendar, where an offset
# carries it out of range once converted to UTC.
moments = st.one_of(
    st.datetimes(timezones=st.none() | st.just(UTC) | offsets),
    st.datetimes(max_value=FIRST_DAY_END, timezones=offsets),
    st.datetimes(min_value=LAST_DAY_START, timezones=offsets),
)
# The first and last day of the calendar with whole-hour offsets: an offset that
# carries the moment past either end in UTC is what a careless reader trips on.
edge_timestamps = st.builds(
    "{}T{}{}{:02d}:00".format,
    st.sampled_from(["0001-01-01", "9999-12-31"]),
    st.sampled_from(["00:00:00", "11:30:00", "23:59:59.999"]),
    st.sampled_from(["+", "-"]),
    st.integers(min_value=0, max_value=23),
)
timestamps = st.one_of(
    st.builds(
        lambda moment, zulu: (
            moment.isoformat().replace("+00:00", "Z") if zulu else moment.isoformat()
        ),
        moments,
        st.booleans(),
    ),
    edge_timestamps,
)
huge_strings = st.builds(
    lambda unit, times: unit * times,
    st.sampled_from(["x", "é", "🙂", "\\", '"', "\x00", "\u2028"]),
    st.integers(min_value=1000, max_value=100_000),
)
texts = st.one_of(st.text(max_size=40), st.sampled_from(INTERESTING), timestamps)
# Mostly shallow; the deep ones straddle the limits of JSON libraries (254, 1024).
nesting = st.integers(min_value=1, max_value=20) | st.sampled_from(
    [100, 253, 254, 255, 256, 500, 1023, 1024, 1025, 1100]
)
# Weights: huge strings and deep nesting are costly to post, so they come rarely.
OPERATIONS = (
    ["drop"] * 3 + ["retype"] * 3 + ["replace"] * 3 + ["add"] * 3 + ["date"] * 2
) + ["nest", "huge"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    INT64,
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(INTERESTING),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.sampled_from(KNOWN_KEYS), inner)
    ),
    max_leaves=10,
)
# Objects in Sendblue's vocabulary with values of any type, most with the two keys
REPLACEMENTS = {
    "retype": json_values,
    "replace": texts | scalars,
    "huge": huge_strings,
}
# that make a payload Sendblue's, so the accepted path sees arbitrary field types.
known_key_objects = st.builds(
    lambda fields, handle, typing: fields | handle | typing,
    st.dictionaries(st.sampled_from(KNOWN_KEYS), json_values),
    st.dictionaries(
        st.just("message_handle"), st.text(min_size=1, max_size=20) | json_values
    ),
    st.dictionaries(st.just("is_typing"), st.booleans() | json_values),
)
json_documents = json_values | known_key_objects
header_names = st.sampled_from(
    [WEBHOOK_SECRET_HEADER, WEBHOOK_SECRET_HEADER.upper(), "Sb-Signing-Secret"]
)


@st.composite
def right_secret(draw: st.DrawFn) -> dict[str, str]:
    """Return the secret header (any case of its name) and some content type."""
    headers = {draw(header_names): WEBHOOK_SECRET}
    if (content_type := draw(st.sampled_from(CONTENT_TYPES))) is not None:
        headers["Content-Type"] = content_type
    return headers


@st.composite
def serialized(draw: st.DrawFn, document: object) -> bytes:
    """Serialize a document as JSON, compact or pretty, ASCII-escaped or not."""
    return json.dumps(
        document,
        ensure_ascii=draw(st.booleans()),
        separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])),
        indent=draw(st.sampled_from([None, None, 2])),
    ).encode()


def _mutate(draw: st.DrawFn, payload: dict[str, Any], operation: str) -> None:
    """Apply one mutation to a payload, in place."""
    if operation == "add":
        key = draw(st.sampled_from(KNOWN_KEYS) | st.text(max_size=20))
        payload[key] = draw(json_values | texts)
        return
    if operation == "date":
        payload[draw(st.sampled_from(DATE_KEYS))] = draw(timestamps)
        return
    if not payload:
        return
    key = draw(st.sampled_from(sorted(payload)))
    if operation == "drop":
        del payload[key]
    elif operation == "nest":
        levels = draw(nesting)
        payload[key] = nest(payload[key], levels, as_list=draw(st.booleans()))
    else:
        payload[key] = draw(REPLACEMENTS[operation])


@st.composite
def documented_payloads(draw: st.DrawFn) -> object:
    """Return a documented payload with fields dropped, retyped, replaced or added."""
    payload: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(DOCUMENTED)))
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        _mutate(draw, payload, draw(st.sampled_from(OPERATIONS)))
    # The documented shapes wrapped in something else are not Sendblue payloads.
    wrap = draw(st.sampled_from(["none"] * 8 + ["list", "envelope"]))
    if wrap == "list":
        return [payload]
    if wrap == "envelope":
        return {"data": payload}
    return payload


@st.composite
def timestamped_payloads(draw: st.DrawFn) -> object:
    """Return a documented payload whose times come from anywhere in the calendar."""
    payload: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(DOCUMENTED)))
    keys = st.lists(st.sampled_from(DATE_KEYS), min_size=1, max_size=3, unique=True)
    for key in draw(keys):
        payload[key] = draw(timestamps)
    return payload


unique = count()


def make_unique(document: object) -> object:
    """Give a message a handle never delivered before, the drawn one as its prefix."""
    if (
        isinstance(document, dict)
        and isinstance(handle := document.get("message_handle"), str)
        and handle
    ):
        return {**document, "message_handle": f"{handle}#{next(unique)}"}
    return document


@st.composite
def document_cases(
    draw: st.DrawFn, documents: st.SearchStrategy[object], *, pad: bool = True
) -> Case:
    """Return a JSON document sent with the right secret, judged by the contract."""
    document = make_unique(draw(documents))
    wire = draw(serialized(document))
    # Now and then pad a message to a few bytes around the size limit.
    if pad and isinstance(document, dict) and draw(st.integers(0, 39)) == 0:
        target = MAX_WEBHOOK_BODY + draw(st.integers(min_value=-2, max_value=2))
        padded = {**document, "padding": ""}
        base = len(json.dumps(padded).encode())
        padded["padding"] = "x" * max(0, target - base)
        document, wire = padded, json.dumps(padded).encode()
    return Case(
        wire=wire,
        headers=draw(right_secret()),
        chunked=draw(st.integers(0, 9)) == 0,
        note="document",
        **judge_document(document, wire),
    )


def _raw_body(draw: st.DrawFn, kind: str, source: bytes) -> bytes:
    """Return a body of one kind, mostly made by breaking a serialized payload."""
    last = max(0, len(source) - 1)
    at = draw(st.integers(0, last))
    makers: dict[str, Callable[[], bytes]] = {
        "binary": lambda: draw(st.binary(max_size=200)),
        "truncate": lambda: source[:at],
        "invalid_utf8": lambda: (
            source[:at] + draw(st.sampled_from(INVALID_UTF8)) + source[at:]
        ),
        "flip": lambda: (
            source[:at] + bytes([draw(st.integers(0, 255))]) + source[at + 1 :]
        ),
        "bom": lambda: b"\xef\xbb\xbf" + source,
        "recode": lambda: source.decode().encode(
            draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32", "latin-1"])),
            errors="replace",
        ),
        "form": lambda: b"message_handle=x&is_typing=true&content=hi",
    }
    return makers[kind]()


def _encode(
    draw: st.DrawFn, body: bytes, headers: dict[str, str]
) -> tuple[bytes, bool]:
    """Return the body as sent (maybe compressed) and whether it is undecodable."""
    if (encoding := draw(st.sampled_from([None, None, None, *ENCODINGS]))) is None:
        return body, False
    name, _, broken = encoding.partition("-")
    headers["Content-Encoding"] = name
    # aiohttp closes the connection after a body it cannot decode; a fresh one
    # keeps the next request from meeting a connection the server dropped.
    headers["Connection"] = "close"
    if broken or name == "br":
        return b"\x00not compressed\xff" + body, True
    if name in COMPRESSORS:
        return COMPRESSORS[name](body), False
    return body, False


@st.composite
def raw_cases(draw: st.DrawFn) -> Case:
    """Return bytes that are rarely JSON: binary, broken, re-encoded or compressed."""
    document = make_unique(draw(documented_payloads()))
    source = json.dumps(document, ensure_ascii=False).encode()
    kind = draw(st.sampled_from(RAW_KINDS))
    body = _raw_body(draw, kind, source)
    headers = draw(right_secret())
    wire, undecodable = _encode(draw, body, headers)
    # Reading the body is the contract's business: too big first, then not UTF-8
    # JSON (including what cannot be decompressed), and never a server error.
    if len(wire) > MAX_WEBHOOK_BODY or len(body) > MAX_WEBHOOK_BODY:
        allowed = {HTTPStatus.REQUEST_ENTITY_TOO_LARGE}
    elif undecodable or not _is_utf8(body):
        allowed = {HTTPStatus.BAD_REQUEST}
    else:
        allowed = {HTTPStatus.OK, HTTPStatus.BAD_REQUEST}
    return Case(
        wire=wire,
        headers=headers,
        chunked=draw(st.integers(0, 9)) == 0,
        allowed=frozenset(allowed),
        note=f"raw {kind} {headers.get('Content-Encoding', '')}",
    )


def _is_utf8(body: bytes) -> bool:
    """Return whether bytes are valid UTF-8."""
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


# -- the harness ----------------------------------------------------------------------


class ErrorRecords(logging.Handler):
    """Keep every ERROR record and every record that carries a traceback."""

    def __init__(self) -> None:
        """Start with no records."""
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record when it is an error or carries a traceback."""
        if _aiohttp_decoding_error(record):
            return
        if record.levelno >= logging.ERROR or record.exc_info or record.stack_info:
            self.records.append(record)


def _aiohttp_decoding_error(record: logging.LogRecord) -> bool:
    """Return whether aiohttp itself logged a body it could not decompress.

    aiohttp answers 400 for a Content-Encoding it cannot decode, and after any handler
    (ours included) it drains the unread body, meets the stored decoding error again
    and logs it from aiohttp.server. Every Home Assistant endpoint does this; it is
    not the integration's to prevent. What the handler itself raises is still caught:
    Home Assistant's webhook component logs that under its own name.
    """
    if record.name != "aiohttp.server" or not record.exc_info:
        return False
    error: BaseException | None = record.exc_info[1]
    while error is not None:
        if isinstance(error, ContentEncodingError):
            return True
        error = error.__cause__ or error.__context__
    return False


@dataclass
class Fuzzer:
    """Post cases to the webhook and check each answer against its case."""

    hass: HomeAssistant
    entry: MockConfigEntry
    client: TestClient[Request, Application]
    errors: ErrorRecords
    captured: dict[str, list[Event]]
    statuses: Counter[int] = field(default_factory=Counter)
    failures: int = 0

    @property
    def posted(self) -> int:
        """Return how many bodies were posted."""
        return self.statuses.total()

    async def post_all(self, cases: list[Case]) -> None:
        """Forget earlier examples, then post each case and check it."""
        # Each example starts from the same state, so Hypothesis replays and shrinks
        # it faithfully: dedupe memory (typing is deduped on its content) and line
        # activity (kept as a maximum, so one bad timestamp would stick) are reset.
        runtime = self.entry.runtime_data
        runtime.inbound._seen = BoundedSet(DEDUPE_SIZE)
        runtime.activity.lines.clear()
        for case in cases:
            await self.post(case)

    async def post(self, case: Case) -> None:
        """Post one case and check every property for it, counting failures."""
        try:
            await self._post(case)
        except BaseException:
            self.failures += 1
            raise

    async def _post(self, case: Case) -> None:
        """Post one case and check every property for it."""
        for events in self.captured.values():
            events.clear()
        seen_errors = len(self.errors.records)
        headers = dict(case.headers)
        skip = () if "Content-Type" in headers else ("Content-Type",)
        data: bytes | AsyncIterator[bytes] = (
            _chunks(case.wire) if case.chunked else case.wire
        )
        response = await self.client.post(
            PATH, data=data, headers=headers, skip_auto_headers=skip
        )
        await response.read()
        status = response.status
        self.statuses[status] += 1
        fired = [event for events in self.captured.values() for event in events]
        where = case.describe()
        assert status < HTTPStatus.INTERNAL_SERVER_ERROR, f"{status} for {where}"
        assert status in case.allowed, (
            f"{status}, expected one of {sorted(case.allowed)}, for {where}"
        )
        logged = self.errors.records[seen_errors:]
        assert not logged, f"logged {_show(logged)} for {where}"
        if status != HTTPStatus.OK:
            assert not fired, f"{len(fired)} events after {status} for {where}"
            return
        assert case.events_min <= len(fired) <= case.events_max, (
            f"{len(fired)} events for {where}"
        )
        if case.typing:
            assert all(e.event_type == EVENT_TYPING_INDICATOR for e in fired), where
        for event in fired:
            # What the recorder and the websocket API do with every event.
            try:
                json_bytes(event.data)
            except (TypeError, ValueError) as err:
                pytest.fail(f"event data not serializable ({err}) for {where}")


async def _chunks(wire: bytes) -> AsyncIterator[bytes]:
    """Yield the body in pieces, so aiohttp sends it chunked (no Content-Length)."""
    for start in range(0, max(len(wire), 1), 65536):
        yield wire[start : start + 65536]


def _show(records: list[logging.LogRecord]) -> str:
    """Return log records as text, with their tracebacks."""
    formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    return "\n".join(formatter.format(record) for record in records)


@pytest.fixture
def error_records() -> Iterator[ErrorRecords]:
    """Collect error records and tracebacks from every logger while a test runs."""
    handler = ErrorRecords()
    root = logging.getLogger()
    ours = logging.getLogger("custom_components.sendblue")
    levels = (root.level, ours.level)
    # Errors pass at WARNING; DEBUG (phacc's level under -v) would keep every bus
    # event, payload included, in pytest's captured log: gigabytes over 10,000 posts.
    root.setLevel(logging.WARNING)
    # Our own code: a traceback even at DEBUG counts.
    ours.setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    root.setLevel(levels[0])
    ours.setLevel(levels[1])


@pytest.fixture
async def fuzz(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    error_records: ErrorRecords,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Fuzzer]:
    """Return the fuzzer for one test; afterwards print and check the body count."""
    fuzzer = Fuzzer(
        hass=hass,
        entry=init_integration,
        client=await hass_client_no_auth(),
        errors=error_records,
        captured={name: async_capture_events(hass, name) for name in EVENTS},
    )
    started = time.perf_counter()
    yield fuzzer
    elapsed = time.perf_counter() - started
    expected = quota(request.node.originalname)
    line = (
        f"{request.node.name}: {fuzzer.posted} bodies in {elapsed:.1f} s,"
        f" statuses {dict(sorted(fuzzer.statuses.items()))}"
    )
    # Shown even under pytest's output capture, so CI logs the count.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    assert capture is not None
    with capture.global_and_fixture_disabled():
        print(f"\n{line}")  # noqa: T201
    # After a failure Hypothesis stops early and shrinks; the count means nothing then.
    if not fuzzer.failures:
        assert fuzzer.posted >= expected, f"only {line}, expected {expected}"


def batches(cases: st.SearchStrategy[Case]) -> st.SearchStrategy[list[Case]]:
    """Return batches of BATCH cases."""
    return st.lists(cases, min_size=BATCH, max_size=BATCH)


# -- the tests ------------------------------------------------------------------------


@examples("test_fuzz_json_values")
@given(cases=batches(document_cases(json_documents)))
async def test_fuzz_json_values(fuzz: Fuzzer, cases: list[Case]) -> None:
    """Any JSON value with the right secret gets 200 or 400 as the contract says."""
    await fuzz.post_all(cases)


@examples("test_fuzz_documented_payloads")
@given(cases=batches(document_cases(documented_payloads())))
async def test_fuzz_documented_payloads(fuzz: Fuzzer, cases: list[Case]) -> None:
    """Mutated documented payloads: right status, an event per new message, no error."""
    await fuzz.post_all(cases)


@examples("test_fuzz_timestamps")
@given(cases=batches(document_cases(timestamped_payloads(), pad=False)))
async def test_fuzz_timestamps(fuzz: Fuzzer, cases: list[Case]) -> None:
    """Times anywhere in the calendar, with any offset, are taken without an error."""
    await fuzz.post_all(cases)


@examples("test_fuzz_raw_bodies")
@given(cases=batches(raw_cases()))
async def test_fuzz_raw_bodies(fuzz: Fuzzer, cases: list[Case]) -> None:
    """Broken, non-UTF-8, re-encoded, compressed bodies never cause a server error."""
    await fuzz.post_all(cases)
