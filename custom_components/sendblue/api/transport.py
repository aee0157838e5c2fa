"""Transport to the Sendblue API: auth, encoding, error mapping, retries and pacing.

Retry rule. GET, PUT and DELETE are retried up to ``max_retries`` times on connection
errors, timeouts, 429 and 5xx, waiting ``retry_backoff`` (0.5 s) doubling up to 8 s, or
what Sendblue asks for in ``retry-after-ms`` / ``Retry-After``. POST (sends and other
writes) is retried only when the request provably never left
(``SendblueCannotConnectError``, from ``aiohttp.ClientConnectorError``: refused, DNS or
TLS before sending) or on 429 (Sendblue refused it); never after a timeout, a reset
after sending or a 5xx, so a message is never sent twice. A wait longer than 30 s is
never taken: the ``SendblueRateLimitError`` goes to the caller with ``retry_after``.

Never twice. The same rule binds whoever sends again after the client gave up: a POST
that failed with ``SendblueCannotConnectError`` or ``SendblueRateLimitError`` provably
never reached Sendblue and is safe to send again. A POST that failed with
``SendblueTimeoutError``, any other ``SendblueConnectionError`` or
``SendblueServerError`` is ambiguous: Sendblue may have accepted it, so reconcile (look
the message up) before sending it again.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from http import HTTPStatus
from json import loads
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import (
    ClientConnectorError,
    ClientError,
    ClientResponse,
    ClientSession,
    ClientTimeout,
    FormData,
)
from multidict import CIMultiDictProxy
from yarl import URL

from .exceptions import (
    SendblueAuthenticationError,
    SendblueCannotConnectError,
    SendblueConnectionError,
    SendblueError,
    SendblueInvalidResponseError,
    SendblueNotFoundError,
    SendblueRateLimitError,
    SendblueServerError,
    SendblueTimeoutError,
    SendblueValidationError,
)
from .pacing import LinePacer

VERSION = "0.1.0"
DEFAULT_BASE_URL = "https://api.sendblue.co"
USER_AGENT = f"SendblueHomeAssistant/{VERSION}"
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 30.0
MAX_ERROR_TEXT = 300  # keep an HTML error page from flooding a log line
_ERROR_CLASSES: dict[int, type[SendblueError]] = {
    HTTPStatus.BAD_REQUEST: SendblueValidationError,
    HTTPStatus.UNAUTHORIZED: SendblueAuthenticationError,
    HTTPStatus.FORBIDDEN: SendblueAuthenticationError,
    HTTPStatus.NOT_FOUND: SendblueNotFoundError,
    HTTPStatus.CONFLICT: SendblueValidationError,
    HTTPStatus.UNPROCESSABLE_ENTITY: SendblueValidationError,
}
_CODE_LIKE = re.compile(r"[\w.:-]+")
# A stream lives for many minutes: only our own timeouts apply to it, not the
# session's overall one (aiohttp's default cuts any response after 5 minutes).
_NO_SESSION_TIMEOUT = ClientTimeout(total=None)
_LOGGER = logging.getLogger(__name__)


def require_object(body: object) -> Mapping[str, Any]:
    """Require a JSON object."""
    if not isinstance(body, Mapping):
        msg = "Sendblue sent a response that is not a JSON object"
        raise SendblueInvalidResponseError(msg)
    return body


def _query_value(value: object) -> str:
    """Render one query value the way Sendblue reads it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _decode(raw: bytes) -> object:
    """Decode a success body; an empty body is None."""
    if not raw.strip():
        return None
    try:
        return loads(raw)
    except ValueError as err:
        msg = "Sendblue sent a response that is not JSON"
        raise SendblueInvalidResponseError(msg) from err


def _envelope(body: Mapping[str, Any]) -> tuple[str | None, str | int | None]:
    """Read message and error code from any of Sendblue's error envelopes."""
    error = body.get("error")
    # v3 nests them: {"error": {"code", "message", "details"}}.
    nested = error if isinstance(error, Mapping) else {}
    candidates = (
        nested.get("message"),
        body.get("error_message"),
        body.get("message"),
        body.get("errorMessage"),
        error,
    )
    message = next(
        (item for item in candidates if isinstance(item, str) and item), None
    )
    code = next(
        (
            item
            for item in (body.get("error_code"), nested.get("code"))
            if isinstance(item, str | int) and not isinstance(item, bool)
        ),
        None,
    )
    # Some answers put a machine code in "error" next to a readable message.
    if (
        code is None
        and isinstance(error, str)
        and error != message
        and _CODE_LIKE.fullmatch(error)
    ):
        code = error
    return message, code


def _error_text(raw: bytes) -> tuple[str | None, str | int | None]:
    """Read message and error code from an error body, JSON or not."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        body = loads(text)
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        return _envelope(body)
    if isinstance(body, str):
        return body or None, None
    return text[:MAX_ERROR_TEXT] or None, None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds Sendblue asks us to wait, from retry-after-ms or Retry-After."""
    if (millis := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    if (value := headers.get("Retry-After")) is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except TypeError, ValueError:
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass(eq=False)
class Transport:
    """Requests to Sendblue with its auth headers, on one session, paced per line."""

    api_key_id: str = field(repr=False)
    api_secret_key: str = field(repr=False)
    _: KW_ONLY
    session: ClientSession | None = None
    base_url: str = DEFAULT_BASE_URL
    request_timeout: float = 10.0
    max_retries: int = 2
    retry_backoff: float = 0.5
    pace_sends: bool = True
    pacer: LinePacer = field(default_factory=LinePacer, repr=False)
    # The wait between retries; tests swap it for one that does not wait.
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    _close_session: bool = field(default=False, init=False, repr=False)

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> URL:
        """Return the URL of path with the given query values (None left out)."""
        url = URL(self.base_url.rstrip("/") + path, encoded=True)
        query = {
            key: _query_value(value)
            for key, value in (params or {}).items()
            if value is not None
        }
        if not query:
            return url
        # quote (not quote_plus) so that "+" goes out as %2B and space as %20.
        return URL(f"{url}?{urlencode(query, quote_via=quote)}", encoded=True)

    def headers(self, accept: str = "application/json") -> dict[str, str]:
        """Return the headers of every request."""
        # The credentials go into requests and nowhere else (never a log line).
        return {
            "sb-api-key-id": self.api_key_id,
            "sb-api-secret-key": self.api_secret_key,
            "Accept": accept,
            "User-Agent": USER_AGENT,
        }

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: object = None,
        data: Callable[[], FormData] | None = None,
        idempotent: bool | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-call request_timeout
        paced: str | None = None,
    ) -> object:
        """Send a request with auth, retries and error mapping; return decoded JSON.

        data is a factory of the multipart body, so a retry can build it afresh.
        paced is the sending line ("" when Sendblue picks one) of a send: every
        attempt, retries too, waits for a token of that line's pace.
        """
        url = self.url(path, params)
        if json is None and data is None and method in {"POST", "PUT"}:
            json = {}  # Sendblue expects a JSON body on every write
        if idempotent is None:
            idempotent = method != "POST"
        headers = self.headers()
        attempt = 0
        while True:
            if paced is not None:
                await self.pace(paced)
            try:
                status, answer_headers, raw = await self._send(
                    method,
                    url,
                    headers=headers,
                    json=json,
                    data=data,
                    seconds=timeout or self.request_timeout,
                )
            except SendblueConnectionError as err:
                # Only a failed connect proves that a POST never reached Sendblue.
                never_sent = isinstance(err, SendblueCannotConnectError)
                if attempt >= self.max_retries or not (idempotent or never_sent):
                    raise
                delay = self._backoff(attempt)
            else:
                if status < HTTPStatus.BAD_REQUEST:
                    return _decode(raw)
                wait = _retry_after(answer_headers)
                retryable = status == HTTPStatus.TOO_MANY_REQUESTS or (
                    idempotent and status >= HTTPStatus.INTERNAL_SERVER_ERROR
                )
                if (
                    not retryable
                    or attempt >= self.max_retries
                    or (wait is not None and wait > MAX_RETRY_AFTER)
                ):
                    raise self.error(status, raw, wait)
                delay = self._backoff(attempt) if wait is None else wait
            attempt += 1
            _LOGGER.debug(
                "Retrying %s %s in %.2f s (retry %d)", method, path, delay, attempt
            )
            await self.sleep(delay)

    async def open_stream(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ClientResponse:
        """Open a long-lived GET once (no retries) and return its answer, unread.

        The caller checks the status and releases the response.
        """
        seconds = self.request_timeout
        with self.mapped_errors(seconds):
            async with asyncio.timeout(seconds):
                return await self._own_session().get(
                    self.url(path, params),
                    headers={**self.headers("text/event-stream"), **(headers or {})},
                    timeout=_NO_SESSION_TIMEOUT,
                )

    async def read_error(self, response: ClientResponse) -> SendblueError:
        """Read an error answer of a stream and build its exception."""
        seconds = self.request_timeout
        try:
            with self.mapped_errors(seconds):
                async with asyncio.timeout(seconds):
                    raw = await response.read()
        finally:
            response.release()
        return self.error(response.status, raw, _retry_after(response.headers))

    @contextmanager
    def mapped_errors(self, seconds: float) -> Iterator[None]:
        """Turn aiohttp's and the timeout's exceptions into ours."""
        try:
            yield
        except TimeoutError as err:
            msg = f"Timeout after {seconds:g} s waiting for Sendblue"
            raise SendblueTimeoutError(msg) from err
        except ClientConnectorError as err:
            msg = self.redact(f"Cannot connect to Sendblue: {err}")
            raise SendblueCannotConnectError(msg) from err
        except (ClientError, OSError) as err:
            msg = self.redact(f"Error communicating with Sendblue: {err}")
            raise SendblueConnectionError(msg) from err

    def _own_session(self) -> ClientSession:
        """Return the session, creating one the first time none was injected."""
        if self.session is None:
            self.session = ClientSession()
            self._close_session = True
        return self.session

    async def _send(
        self,
        method: str,
        url: URL,
        *,
        headers: Mapping[str, str],
        json: object,
        data: Callable[[], FormData] | None,
        seconds: float,
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        """Make one attempt and return status, headers and body."""
        session = self._own_session()
        with self.mapped_errors(seconds):
            async with (
                asyncio.timeout(seconds),
                session.request(
                    method,
                    url,
                    headers=headers,
                    json=json,
                    data=data() if data else None,
                ) as response,
            ):
                return response.status, response.headers, await response.read()

    def error(
        self, status: int, raw: bytes, retry_after: float | None
    ) -> SendblueError:
        """Build the exception for an error answer."""
        message, code = _error_text(raw)
        message = self.redact(message or f"Sendblue answered HTTP {status}")
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            return SendblueRateLimitError(
                message, status=status, error_code=code, retry_after=retry_after
            )
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            return SendblueServerError(message, status=status, error_code=code)
        return _ERROR_CLASSES.get(status, SendblueError)(
            message, status=status, error_code=code
        )

    def redact(self, text: str) -> str:
        """Blank out the credentials should any text echo them."""
        for secret in (self.api_key_id, self.api_secret_key):
            if secret:
                text = text.replace(secret, "**REDACTED**")
        return text

    def ok(self, body: object) -> Mapping[str, Any]:
        """Require an object whose status is not ERROR (some errors come as 200)."""
        mapping = require_object(body)
        if str(mapping.get("status", "")).upper() == "ERROR":
            message, code = _envelope(mapping)
            raise SendblueValidationError(
                self.redact(message or "Sendblue rejected the request"),
                status=int(HTTPStatus.OK),
                error_code=code,
            )
        return mapping

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff for the given retry."""
        return float(min(self.retry_backoff * 2**attempt, MAX_BACKOFF))

    async def pace(self, from_number: str | None) -> None:
        """Wait for a token on the sending line (auto-selected lines share one)."""
        if self.pace_sends:
            await self.pacer.acquire(from_number or "")

    async def close(self) -> None:
        """Close the session if the transport created it."""
        if self.session and self._close_session:
            await self.session.close()
            # A later request makes a fresh session rather than using a closed one.
            self.session = None
            self._close_session = False
