"""Helpers the route modules share: body parsing, JSON answers, common checks."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .errors import ApiError, fail, is_e164
from .limits import retry_after_header
from .state import SimulatorState

STATE = web.AppKey("sendblue_simulator_state", SimulatorState)


def state_of(request: web.Request) -> SimulatorState:
    """Return the simulator state behind request."""
    return request.app[STATE]


def ok(data: Any, status: int = 200) -> web.Response:  # noqa: ANN401 -- any JSON value
    """Answer with JSON."""
    return web.json_response(data, status=status)


async def read_body(request: web.Request) -> dict[str, Any]:
    """Parse a JSON (or form-encoded) object body; {} when empty."""
    if request.content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        return {key: value for key, value in form.items() if isinstance(value, str)}
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        fail(400, "Invalid JSON body")
    if not isinstance(data, dict):
        fail(400, "Request body must be a JSON object")
    return data


def first_of(body: dict[str, Any], *names: str) -> Any:  # noqa: ANN401 -- any JSON value
    """Return the first present value among snake/camelCase aliases."""
    for name in names:
        if name in body and body[name] is not None:
            return body[name]
    return None


def require_line(
    state: SimulatorState, value: object, *, field: str = "from_number"
) -> str:
    """Check that value is an E.164 line of the account (the reactions wording)."""
    if not is_e164(value):
        fail(400, f"You must specify a valid `{field}` in the request body.")
    if value not in state.lines:
        fail(400, f"The {field} is not registered")
    return str(value)


def rate_limited(seconds: float, message: str, *, code: str | None = None) -> ApiError:
    """Build a 429 with Retry-After."""
    body: dict[str, Any] = {"status": "ERROR"}
    if code is not None:
        body["error_code"] = code
    body["message"] = message
    return ApiError(429, body, {"Retry-After": retry_after_header(seconds)})


def take_line_token(state: SimulatorState, line: str) -> None:
    """Apply the 10 messages/s per-line burst limit."""
    wait = state.limits.take_line(line)
    if wait is not None:
        raise rate_limited(
            wait, f"Rate limit exceeded for {line}: at most 10 messages per second"
        )
