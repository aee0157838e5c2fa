"""Transport of the client: headers, encoding, errors, retries, sessions, secrets."""

import logging
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from custom_components.sendblue.api import (
    LinePacer,
    SendblueAuthenticationError,
    SendblueCannotConnectError,
    SendblueClient,
    SendblueConnectionError,
    SendblueError,
    SendblueInputError,
    SendblueInvalidResponseError,
    SendblueNotFoundError,
    SendblueRateLimitError,
    SendblueServerError,
    SendblueTimeoutError,
    SendblueValidationError,
    transport,
)

from .conftest import FIXTURES, KEY_ID, SECRET, FakeSendblue, Reply

SEND = "/api/send-message"
SEND_ARGS = {"number": "+19998887777", "from_number": "+15122164639", "content": "Hi"}


def closed_port_url() -> str:
    """Return a loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_headers_and_get_without_body(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """Both keys, Accept and User-Agent go out; a GET has no body or Content-Type."""
    sendblue.add("GET", "/account", {"email": "me@example.com"})
    await client.get_account()
    request = sendblue.last
    assert request.headers["sb-api-key-id"] == KEY_ID
    assert request.headers["sb-api-secret-key"] == SECRET
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == f"SendblueHomeAssistant/{transport.VERSION}"
    assert "Content-Type" not in request.headers
    assert request.body == b""


async def test_write_without_fields_sends_empty_object(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """A POST with nothing to say still sends the JSON object {}."""
    sendblue.add("POST", "/accounts/lines/provision-preview", {"status": "OK"})
    await client.preview_line_provisioning()
    assert sendblue.last.headers["Content-Type"] == "application/json"
    assert sendblue.last.json == {}


@pytest.mark.parametrize("suffix", ["", "/", "//"])
async def test_base_url_trailing_slash(
    sendblue: FakeSendblue, session: aiohttp.ClientSession, suffix: str
) -> None:
    """A base URL with or without trailing slashes reaches the same path."""
    sendblue.add("GET", "/account", {"email": "me@example.com"})
    client = SendblueClient(
        KEY_ID, SECRET, session=session, base_url=sendblue.url + suffix
    )
    assert (await client.get_account()).email == "me@example.com"
    assert sendblue.last.path == "/account"


@pytest.mark.parametrize(
    ("method", "kwargs", "http", "path"),
    [
        (
            "get_contact",
            {"number": "+15551234567"},
            "GET",
            "/api/v2/contacts/%2B15551234567",
        ),
        (
            "delete_message",
            {"message_handle": "a b/c?d#e+f"},
            "DELETE",
            "/api/message/a%20b%2Fc%3Fd%23e%2Bf",
        ),
        (
            "get_line_request",
            {"request_id": "lr 1"},
            "GET",
            "/accounts/lines/line-request/lr%201",
        ),
    ],
)
async def test_path_parameters_are_encoded(
    client: SendblueClient,
    sendblue: FakeSendblue,
    method: str,
    kwargs: dict[str, Any],
    http: str,
    path: str,
) -> None:
    """Path parameters go out percent-encoded, "+" as %2B."""
    sendblue.add(http, path, {"status": "OK"})
    await getattr(client, method)(**kwargs)
    assert sendblue.last.path == path


async def test_query_values_are_encoded(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """Query values: "+" as %2B, booleans as true/false, datetimes ISO with offset."""
    sendblue.add("GET", "/api/v2/messages", FIXTURES["messages_page"])
    await client.list_messages(
        is_outbound=False,
        number="+19998887777",
        created_at_gte=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        updated_at_gte=datetime(2026, 1, 2, 3, 4, 5),  # noqa: DTZ001 - naive is UTC
        sent_at_lte="2026-01-03",
        group_id=None,
    )
    assert sendblue.last.raw_query == (
        "is_outbound=false&number=%2B19998887777"
        "&created_at_gte=2026-01-02T03%3A04%3A05%2B00%3A00"
        "&updated_at_gte=2026-01-02T03%3A04%3A05%2B00%3A00&sent_at_lte=2026-01-03"
    )
    assert sendblue.last.query["number"] == "+19998887777"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, SendblueValidationError),
        (401, SendblueAuthenticationError),
        (403, SendblueAuthenticationError),
        (404, SendblueNotFoundError),
        (409, SendblueValidationError),
        (418, SendblueError),
        (422, SendblueValidationError),
        (429, SendblueRateLimitError),
        (500, SendblueServerError),
        (503, SendblueServerError),
    ],
)
async def test_status_mapping(
    client: SendblueClient, sendblue: FakeSendblue, status: int, error: type[Exception]
) -> None:
    """Each HTTP error status raises its own exception with Sendblue's message."""
    sendblue.add(
        "GET", "/account", Reply(status, {"status": "ERROR", "message": "Nope"})
    )
    with pytest.raises(SendblueError) as exc_info:
        await client.get_account()
    assert type(exc_info.value) is error
    assert exc_info.value.status == status
    assert str(exc_info.value) == exc_info.value.message == "Nope"


@pytest.mark.parametrize(
    ("reply", "message", "code"),
    [
        (
            Reply(400, {"status": "ERROR", "message": "Invalid media URL"}),
            "Invalid media URL",
            None,
        ),
        (
            Reply(
                400,
                {"status": "ERROR", "error_code": "ERROR_CODE", "message": "Described"},
            ),
            "Described",
            "ERROR_CODE",
        ),
        (
            Reply(400, {"status": "ERROR", "error_code": 4000, "message": "Bad"}),
            "Bad",
            4000,
        ),
        (Reply(400, {"error": "Missing fields"}), "Missing fields", None),
        (
            Reply(400, {"error_message": "Blacklisted number"}),
            "Blacklisted number",
            None,
        ),
        (
            Reply(
                400,
                {
                    "error": {
                        "code": "invalid_token",
                        "message": "Expired",
                        "details": {},
                    }
                },
            ),
            "Expired",
            "invalid_token",
        ),
        (
            Reply(
                400, {"error": "line_not_registered", "error_message": "Not registered"}
            ),
            "Not registered",
            "line_not_registered",
        ),
        (
            Reply(400, {"error": "Bad thing", "message": "Longer text"}),
            "Longer text",
            None,
        ),
        (Reply(400, text="Bad Request"), "Bad Request", None),
        (Reply(400, text='"quoted"'), "quoted", None),
        (Reply(400, text="[1, 2]"), "[1, 2]", None),
        (Reply(400, text="<html>" + "x" * 500), "<html>" + "x" * 294, None),
        (Reply(400, {"status": "ERROR"}), "Sendblue answered HTTP 400", None),
        (Reply(400), "Sendblue answered HTTP 400", None),
    ],
)
async def test_error_envelopes(
    client: SendblueClient,
    sendblue: FakeSendblue,
    reply: Reply,
    message: str,
    code: str | int | None,
) -> None:
    """Every error envelope yields Sendblue's message and error code."""
    sendblue.add("GET", "/account", reply)
    with pytest.raises(SendblueValidationError) as exc_info:
        await client.get_account()
    assert exc_info.value.message == message
    assert exc_info.value.error_code == code


@pytest.mark.parametrize(
    ("method", "path", "reply"),
    [
        ("get_account", "/account", Reply(text="not json")),
        ("get_account", "/account", [1, 2]),
        ("get_account", "/account", Reply()),
        ("list_lines", "/api/lines", {"numbers": "+15122164639"}),
        ("count_contacts", "/api/v2/contacts/count", {"count": "3"}),
        ("list_contacts", "/api/v2/contacts", {"status": "OK"}),
    ],
)
async def test_invalid_success_body(
    client: SendblueClient,
    sendblue: FakeSendblue,
    method: str,
    path: str,
    reply: object,
) -> None:
    """A success body that is not JSON or not the expected shape is an error."""
    sendblue.add("GET", path, reply)
    with pytest.raises(SendblueInvalidResponseError):
        await getattr(client, method)()


# -- retries -------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_post_not_retried_on_server_error(
    client: SendblueClient, sendblue: FakeSendblue, status: int
) -> None:
    """A send that got a 5xx may have gone out: it is sent once and raises."""
    sendblue.add("POST", SEND, Reply(status, {"message": "boom"}))
    with pytest.raises(SendblueServerError):
        await client.send_message(**SEND_ARGS)
    assert len(sendblue.calls("POST", SEND)) == 1


async def test_post_not_retried_on_timeout(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """A send that timed out may have gone out: it is sent once and raises."""
    client.request_timeout = 0.05
    sendblue.add("POST", SEND, Reply(hang=True))
    with pytest.raises(SendblueTimeoutError, match="Timeout"):
        await client.send_message(**SEND_ARGS)
    assert len(sendblue.calls("POST", SEND)) == 1


async def test_post_retried_on_rate_limit(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """A 429 means Sendblue refused the send, so it is sent again."""
    sendblue.add(
        "POST",
        SEND,
        Reply(429, {"message": "slow down"}, headers={"Retry-After": "0"}),
        FIXTURES["send_message"],
    )
    message = await client.send_message(**SEND_ARGS)
    assert message.message_handle == "dfd747ba-5600-4a8a-804a-a614a0fbc1c5"
    calls = sendblue.calls("POST", SEND)
    assert len(calls) == 2
    assert calls[0].json == calls[1].json


async def test_every_attempt_of_a_send_is_paced(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """A send sent again takes a token again: Sendblue counts it on the line too."""
    taken: list[str] = []

    class CountingPacer(LinePacer):
        """A pacer that only counts."""

        async def acquire(self, line: str) -> None:
            taken.append(line)

    client._pacer = CountingPacer()
    sendblue.add(
        "POST",
        SEND,
        Reply(429, {"message": "slow down"}, headers={"Retry-After": "0"}),
        FIXTURES["send_message"],
    )
    await client.send_message(**SEND_ARGS)
    # A line Sendblue picks has its own bucket; reads are not paced.
    await client.send_message(**{**SEND_ARGS, "from_number": None})
    sendblue.add("GET", "/account", {"email": "me@example.com"})
    await client.get_account()
    assert taken == [SEND_ARGS["from_number"]] * 2 + [""]


@pytest.mark.parametrize("first", [Reply(503), Reply(429), Reply(hang=True)])
async def test_get_retried_then_succeeds(
    client: SendblueClient, sendblue: FakeSendblue, first: Reply
) -> None:
    """A GET is retried after a 5xx, a 429 or a timeout."""
    client.request_timeout = 0.05
    sendblue.add("GET", "/account", first, {"email": "me@example.com"})
    assert (await client.get_account()).email == "me@example.com"
    assert len(sendblue.calls("GET", "/account")) == 2


@pytest.mark.parametrize("max_retries", [0, 1, 2, 4])
async def test_get_gives_up(
    sendblue: FakeSendblue, session: aiohttp.ClientSession, max_retries: int
) -> None:
    """A GET that keeps failing raises after max_retries + 1 attempts."""
    client = SendblueClient(
        KEY_ID,
        SECRET,
        session=session,
        base_url=sendblue.url,
        max_retries=max_retries,
        retry_backoff=0,
    )
    sendblue.add("GET", "/account", Reply(500, {"message": "down"}))
    with pytest.raises(SendblueServerError, match="down"):
        await client.get_account()
    assert len(sendblue.calls("GET", "/account")) == max_retries + 1


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [("send_message", SEND_ARGS), ("get_account", {})],
)
async def test_refused_connection_retried(method: str, kwargs: dict[str, Any]) -> None:
    """A refused connection proves nothing left: even a POST is retried, then raises."""
    starts: list[str] = []

    async def on_request_start(
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        starts.append(str(params.url))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        client = SendblueClient(
            KEY_ID, SECRET, session=session, base_url=closed_port_url(), retry_backoff=0
        )
        with pytest.raises(SendblueConnectionError) as exc_info:
            await getattr(client, method)(**kwargs)
    assert len(starts) == 3
    assert isinstance(exc_info.value, SendblueCannotConnectError)
    assert isinstance(exc_info.value.__cause__, aiohttp.ClientConnectorError)
    assert not isinstance(exc_info.value, SendblueTimeoutError)


@pytest.mark.parametrize(
    ("http", "method", "path", "kwargs", "attempts"),
    [
        ("POST", "send_message", SEND, SEND_ARGS, 1),
        ("GET", "get_account", "/account", {}, 3),
    ],
)
async def test_dropped_connection(
    sendblue: FakeSendblue,
    http: str,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    attempts: int,
) -> None:
    """A connection dropped after sending is retried for a GET only."""
    sendblue.add(http, path, Reply(drop=True))
    async with aiohttp.ClientSession() as session:
        # aiohttp itself resends an idempotent request once on a dropped
        # connection; switch that off to count our own retries only.
        session._retry_connection = False
        client = SendblueClient(
            KEY_ID, SECRET, session=session, base_url=sendblue.url, retry_backoff=0
        )
        with pytest.raises(SendblueConnectionError) as exc_info:
            await getattr(client, method)(**kwargs)
    assert isinstance(exc_info.value.__cause__, aiohttp.ServerDisconnectedError)
    # It may have reached Sendblue: not the error that proves nothing was sent.
    assert not isinstance(exc_info.value, SendblueCannotConnectError)
    assert len(sendblue.calls(http, path)) == attempts


@pytest.mark.parametrize(
    ("http", "method", "path", "kwargs", "status"),
    [
        ("POST", "send_message", SEND, SEND_ARGS, 429),
        ("GET", "get_account", "/account", {}, 503),
    ],
)
async def test_long_retry_after_not_waited(
    client: SendblueClient,
    sendblue: FakeSendblue,
    http: str,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
) -> None:
    """A wait over 30 s is left to the caller."""
    waits: list[float] = []

    async def fake_sleep(delay: float) -> None:
        waits.append(delay)

    client._sleep = fake_sleep
    sendblue.add(
        http, path, Reply(status, {"message": "later"}, headers={"Retry-After": "31"})
    )
    with pytest.raises(SendblueError) as exc_info:
        await getattr(client, method)(**kwargs)
    assert len(sendblue.calls(http, path)) == 1
    assert not waits
    if isinstance(exc_info.value, SendblueRateLimitError):
        assert exc_info.value.retry_after == 31


@pytest.mark.parametrize(
    ("headers", "backoff", "waits"),
    [
        ({}, 0.5, [0.5, 1.0]),
        ({}, 5, [5.0, 8.0]),
        ({"Retry-After": "2"}, 0.5, [2.0, 2.0]),
        ({"Retry-After": "-3"}, 0.5, [0.0, 0.0]),
        ({"retry-after-ms": "1500", "Retry-After": "9"}, 0.5, [1.5, 1.5]),
        ({"retry-after-ms": "soon"}, 0.5, [0.5, 1.0]),
        ({"Retry-After": "whenever"}, 0.5, [0.5, 1.0]),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.5, [0.0, 0.0]),
    ],
)
async def test_retry_waits(
    client: SendblueClient,
    sendblue: FakeSendblue,
    headers: dict[str, str],
    backoff: float,
    waits: list[float],
) -> None:
    """Waits follow Retry-After / retry-after-ms, else an exponential backoff to 8 s."""
    slept: list[float] = []

    async def fake_sleep(delay: float) -> None:
        slept.append(delay)

    client._sleep = fake_sleep
    client.retry_backoff = backoff
    sendblue.add("GET", "/account", Reply(429, {"message": "slow"}, headers=headers))
    with pytest.raises(SendblueRateLimitError):
        await client.get_account()
    assert slept == waits


def test_retry_after_http_date_in_the_future() -> None:
    """An HTTP-date Retry-After becomes the seconds until then."""
    when = datetime.now(UTC) + timedelta(seconds=20)
    wait = transport._retry_after({"Retry-After": format_datetime(when, usegmt=True)})
    assert wait is not None
    assert 18 < wait <= 20


async def test_idempotent_post_retried(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """A POST marked idempotent is retried like a GET."""
    sendblue.add("POST", "/api/thing", Reply(500), {"status": "OK"})
    assert await client._transport.request("POST", "/api/thing", idempotent=True) == {
        "status": "OK"
    }
    assert len(sendblue.calls("POST", "/api/thing")) == 2


# -- sessions --------------------------------------------------------------------


async def test_own_session_is_created_and_closed(sendblue: FakeSendblue) -> None:
    """Without an injected session the client makes one and closes it on exit."""
    sendblue.add("GET", "/account", {"email": "me@example.com"})
    async with SendblueClient(KEY_ID, SECRET, base_url=sendblue.url) as client:
        await client.get_account()
        own = client.session
        assert own is not None
        assert not own.closed
    assert own.closed
    assert client.session is None
    await client.close()  # closing twice is harmless


async def test_injected_session_left_open(
    sendblue: FakeSendblue, session: aiohttp.ClientSession
) -> None:
    """An injected session belongs to the caller and stays open."""
    sendblue.add("GET", "/account", {"email": "me@example.com"})
    async with SendblueClient(
        KEY_ID, SECRET, session=session, base_url=sendblue.url
    ) as client:
        await client.get_account()
    assert client.session is session
    assert not session.closed


# -- secrets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (
            Reply(401, {"status": "ERROR", "message": "Invalid API key"}),
            SendblueAuthenticationError,
        ),
        (Reply(500, text="Internal Server Error"), SendblueServerError),
        (
            Reply(400, {"message": f"bad key {KEY_ID} / {SECRET}"}),
            SendblueValidationError,
        ),
        (Reply(text=f"echo {SECRET}"), SendblueInvalidResponseError),
    ],
)
async def test_errors_carry_no_secret(
    client: SendblueClient,
    sendblue: FakeSendblue,
    caplog: pytest.LogCaptureFixture,
    reply: Reply,
    error: type[Exception],
) -> None:
    """No secret shows in an error's str or repr, nor in the debug log."""
    caplog.set_level(logging.DEBUG)
    sendblue.add("GET", "/account", reply)
    with pytest.raises(error) as exc_info:
        await client.get_account()
    for text in (str(exc_info.value), repr(exc_info.value), caplog.text):
        assert KEY_ID not in text
        assert SECRET not in text


@pytest.mark.parametrize("kind", ["input", "connection"])
async def test_local_errors_carry_no_secret(
    session: aiohttp.ClientSession, kind: str
) -> None:
    """Input and connection errors carry no secret either, nor does the client."""
    client = SendblueClient(
        KEY_ID, SECRET, session=session, base_url=closed_port_url(), retry_backoff=0
    )
    expected = SendblueInputError if kind == "input" else SendblueConnectionError
    with pytest.raises(expected) as exc_info:
        await client.send_message(
            number="+19998887777" if kind == "connection" else SECRET, content="Hi"
        )
    for text in (str(exc_info.value), repr(exc_info.value), repr(client), str(client)):
        assert KEY_ID not in text
        assert SECRET not in text


def test_credentials_readable_but_not_shown(client: SendblueClient) -> None:
    """The client gives its credentials back as attributes, never in its repr."""
    assert (client.api_key_id, client.api_secret_key) == (KEY_ID, SECRET)
    assert "base_url=" in repr(client)
    assert KEY_ID not in repr(client)
    assert SECRET not in repr(client)


async def test_empty_credentials(
    sendblue: FakeSendblue, session: aiohttp.ClientSession
) -> None:
    """Empty credentials go out as they are and Sendblue's answer is kept intact."""
    sendblue.add("GET", "/account", Reply(401, {"message": "Missing key"}))
    client = SendblueClient("", "", session=session, base_url=sendblue.url)
    with pytest.raises(SendblueAuthenticationError, match=r"^Missing key$"):
        await client.get_account()
    assert sendblue.last.headers["sb-api-key-id"] == ""
