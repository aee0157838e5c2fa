"""Reactions, read receipts and typing indicators (§3, §4, §5)."""

from __future__ import annotations

from typing import Any, NoReturn

from aiohttp import web

from sendblue_simulator.errors import ApiError, as_int, fail, is_e164
from sendblue_simulator.http import (
    ok,
    read_body,
    require_line,
    state_of,
    take_line_token,
)
from sendblue_simulator.models import REACTIONS, iso

NO_ROUTE = "No route mapping found for number, have you messaged them before?"
MAX_TYPING_MS = 300_000


async def send_reaction(request: web.Request) -> web.Response:
    """POST /api/send-reaction."""
    state = state_of(request)
    body = await read_body(request)
    from_number = body.get("from_number")
    if not is_e164(from_number):
        fail(400, "You must specify a valid `from_number` in the request body.")
    handle = body.get("message_handle")
    if not isinstance(handle, str) or not handle:
        fail(400, "You must specify `message_handle` in the request body.")
    reaction = body.get("reaction")
    if reaction not in REACTIONS:
        fail(400, f"Invalid reaction. Must be one of: {', '.join(REACTIONS)}")
    part_index = 0
    if body.get("part_index") is not None:
        index = as_int(body["part_index"])
        if index is None or index < 0 or isinstance(body["part_index"], str):
            fail(400, "`part_index` must be a non-negative integer.")
        part_index = index
    line = require_line(state, from_number)
    target = state.messages.get(handle)
    if target is None or target.deleted:
        fail(404, "Message not found")
    take_line_token(state, line)
    state.activity.reactions.append(
        {
            "from_number": line,
            "message_handle": handle,
            "reaction": reaction,
            "part_index": part_index,
            "at": iso(state.clock.now()),
        }
    )
    return ok(
        {
            "status": "OK",
            "message": "Reaction request sent",
            "message_handle": handle,
            "reaction": reaction,
        }
    )


async def mark_read(request: web.Request) -> web.Response:
    """POST /api/mark-read."""
    state = state_of(request)
    body = await read_body(request)
    number = body.get("number")
    if not is_e164(number):
        fail(400, "You must specify a `number` in the request body.")
    line = require_line(state, body.get("from_number"))
    if not state.has_conversation(line, str(number)):
        fail(400, NO_ROUTE)
    state.activity.read_receipts.append(
        {"number": number, "from_number": line, "at": iso(state.clock.now())}
    )
    return ok({"status": "OK", "message": "Mark read request sent", "number": number})


def _typing_error(number: object, message: str) -> NoReturn:
    """Raise the typing endpoint's own error envelope."""
    body: dict[str, Any] = {
        "status": "ERROR",
        "status_code": 400,
        "error_message": message,
        "number": number,
    }
    raise ApiError(400, body)


async def send_typing_indicator(request: web.Request) -> web.Response:
    """POST /api/send-typing-indicator."""
    state = state_of(request)
    body = await read_body(request)
    number = body.get("number")
    if not is_e164(number):
        _typing_error(number, "You must specify a valid `number` in the request body.")
    from_number = body.get("from_number")
    if not is_e164(from_number):
        _typing_error(
            number, "You must specify a valid `from_number` in the request body."
        )
    if from_number not in state.lines:
        _typing_error(number, "The from_number is not registered")
    typing_state = body.get("state", "start")
    if typing_state not in {"start", "stop"}:
        _typing_error(number, "Invalid state. Must be one of: start, stop")
    duration = body.get("max_duration_ms")
    if duration is not None and (
        not isinstance(duration, int)
        or isinstance(duration, bool)
        or not 1 <= duration <= MAX_TYPING_MS
    ):
        _typing_error(
            number, "`max_duration_ms` must be an integer between 1 and 300000."
        )
    if not state.has_conversation(str(from_number), str(number)):
        _typing_error(number, NO_ROUTE)
    state.activity.typing_indicators.append(
        {
            "number": number,
            "from_number": from_number,
            "state": typing_state,
            "max_duration_ms": duration if duration is not None else 60000,
            "at": iso(state.clock.now()),
        }
    )
    return ok(
        {
            "status": "QUEUED",
            "status_code": 200,
            "error_message": None,
            "number": number,
        }
    )


def setup(app: web.Application) -> None:
    """Register the interaction routes."""
    app.router.add_post("/api/send-reaction", send_reaction)
    app.router.add_post("/api/mark-read", mark_read)
    app.router.add_post("/api/send-typing-indicator", send_typing_indicator)
