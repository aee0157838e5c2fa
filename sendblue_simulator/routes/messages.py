"""Messaging endpoints: sends, status, lookup, listing, deletion (§1, §2, §7.1)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from aiohttp import web

from sendblue_simulator.errors import (
    as_int,
    fail,
    fail_v2,
    is_e164,
    is_email,
    is_url,
    parse_iso,
)
from sendblue_simulator.http import (
    first_of,
    ok,
    rate_limited,
    read_body,
    require_line,
    state_of,
    take_line_token,
)
from sendblue_simulator.models import (
    MESSAGE_STATUSES,
    SEND_STYLES,
    SERVICES,
    JSONDict,
    Message,
    Seat,
)
from sendblue_simulator.state import SimulatorState

MAX_CONTENT_CHARS = 18995
MAX_GROUP_PEOPLE = 25
CAROUSEL_MIN = 2
CAROUSEL_MAX = 20
LIST_LIMIT_MAX = 100
ORDER_FIELDS = {
    "createdAt": "date_created",
    "updatedAt": "date_updated",
    "sentAt": "date_sent",
}
DATE_FILTERS = {
    "created_at": "date_created",
    "sent_at": "date_sent",
    "updated_at": "date_updated",
}


def _check_content(body: JSONDict) -> tuple[str, str]:
    """Validate content/media_url the way send-message does."""
    content = body.get("content")
    media_url = body.get("media_url")
    if content is not None and not isinstance(content, str):
        fail(400, "`content` must be a string.")
    if media_url is not None and not is_url(media_url):
        fail(400, "`media_url` must be a valid URL.")
    if not content and not media_url:
        fail(400, "You must specify `content` or `media_url` in the request body.")
    if content and len(content) > MAX_CONTENT_CHARS:
        fail(400, f"`content` must be fewer than {MAX_CONTENT_CHARS + 1} characters.")
    return content or "", media_url or ""


def _check_style_and_callback(body: JSONDict) -> tuple[str, str | None]:
    """Validate send_style and status_callback."""
    send_style = body.get("send_style")
    if send_style is not None and send_style not in SEND_STYLES:
        fail(400, f"Invalid send_style. Must be one of: {', '.join(SEND_STYLES)}")
    callback = first_of(body, "status_callback", "statusCallback")
    if callback is not None and not is_url(callback):
        fail(400, "`status_callback` must be a valid URL.")
    return send_style or "", callback


def _check_reply_to(
    state: SimulatorState, body: JSONDict, line: str
) -> JSONDict | None:
    """Validate an inline reply target (same account and line)."""
    reply_to = body.get("reply_to")
    if reply_to is None:
        return None
    if not isinstance(reply_to, dict) or not isinstance(
        reply_to.get("message_handle"), str
    ):
        fail(400, "`reply_to.message_handle` is required.")
    target = state.messages.get(reply_to["message_handle"])
    if target is None or target.deleted or target.sendblue_number != line:
        fail(
            400,
            "The reply_to target must be in the same conversation and sending line.",
        )
    result: JSONDict = {"message_handle": target.message_handle}
    if "part_index" in reply_to:
        index = as_int(reply_to["part_index"])
        if index is None or index < 0:
            fail(400, "`part_index` must be a non-negative integer.")
        result["part_index"] = index
    return result


def _check_seat(state: SimulatorState, body: JSONDict) -> Seat | None:
    """Resolve seat_id (400 when unknown)."""
    seat_id = body.get("seat_id")
    if seat_id is None:
        return None
    seat = state.seats.get(str(seat_id))
    if seat is None:
        fail(400, "Seat not found")
    return seat


async def send_message(request: web.Request) -> web.Response:
    """POST /api/send-message."""
    state = state_of(request)
    body = await read_body(request)
    number = body.get("number")
    if not (is_e164(number) or is_email(number)):
        fail(400, "You must specify a valid `number` in the request body.")
    line = require_line(state, body.get("from_number"))
    content, media_url = _check_content(body)
    send_style, callback = _check_style_and_callback(body)
    if body.get("app_card") is not None:
        fail(400, "App Cards require a V2 Mac line")
    reply_to = _check_reply_to(state, body, line)
    seat = _check_seat(state, body)
    take_line_token(state, line)
    msg = state.create_outbound(
        line=line,
        to=str(number),
        content=content,
        media_url=media_url,
        send_style=send_style,
        status_callback=callback,
        reply_to=reply_to,
        seat=seat,
    )
    return ok(msg.send_response())


async def send_group_message(request: web.Request) -> web.Response:
    """POST /api/send-group-message (auto-creates the group)."""
    state = state_of(request)
    body = await read_body(request)
    line = require_line(state, body.get("from_number"))
    numbers, group_id = body.get("numbers"), body.get("group_id")
    if not numbers and not group_id:
        fail(400, "You must specify `numbers` or `group_id` in the request body.")
    if group_id:
        group = state.groups.get(str(group_id))
        if group is None or group.line != line:
            fail(400, "Group not found")
    else:
        members = check_members(numbers, line)
        group = state.find_or_create_group(line, members)
    content, media_url = _check_content(body)
    send_style, callback = _check_style_and_callback(body)
    reply_to = _check_reply_to(state, body, line)
    seat = _check_seat(state, body)
    take_line_token(state, line)
    msg = state.create_outbound(
        line=line,
        to=list(group.members),
        content=content,
        media_url=media_url,
        send_style=send_style,
        status_callback=callback,
        group=group,
        reply_to=reply_to,
        seat=seat,
    )
    return ok(msg.send_response())


def check_members(numbers: object, line: str) -> list[str]:
    """Validate a group's member list (E.164 or iMessage emails, at most 25 people)."""
    if not isinstance(numbers, list) or not numbers:
        fail(400, "`numbers` must be a non-empty array of E.164 phone numbers.")
    members = [n for n in dict.fromkeys(numbers) if n != line]
    if any(not (is_e164(n) or is_email(n)) for n in members) or not members:
        fail(400, "`numbers` must contain E.164 phone numbers.")
    if len(members) + 1 > MAX_GROUP_PEOPLE:
        fail(
            400,
            f"A group chat allows at most {MAX_GROUP_PEOPLE} people.",
        )
    return [str(n) for n in members]


async def send_carousel(request: web.Request) -> web.Response:
    """POST /api/send-carousel (2-20 images in one message)."""
    state = state_of(request)
    body = await read_body(request)
    line = require_line(state, body.get("from_number"))
    number = body.get("number")
    if not is_e164(number):
        fail(400, "You must specify a valid `number` in the request body.")
    urls = body.get("media_urls")
    if (
        not isinstance(urls, list)
        or not CAROUSEL_MIN <= len(urls) <= CAROUSEL_MAX
        or not all(is_url(url, https_only=True) for url in urls)
    ):
        fail(400, "`media_urls` must contain 2 to 20 HTTPS image URLs.")
    send_style, callback = _check_style_and_callback(body)
    reply_to = _check_reply_to(state, body, line)
    seat = _check_seat(state, body)
    take_line_token(state, line)
    msg = state.create_outbound(
        line=line,
        to=str(number),
        content="",
        media_url=urls[0],
        send_style=send_style,
        status_callback=callback,
        reply_to=reply_to,
        seat=seat,
    )
    response = {
        "accountEmail": msg.account_email,
        "from_number": msg.from_number,
        "is_outbound": True,
        "media_url": msg.media_url,
        "message_handle": msg.message_handle,
        "message_type": msg.message_type,
        "number": msg.number,
        "status": msg.status,
    }
    if reply_to is not None:
        response["reply_to"] = reply_to
    return ok(response)


async def get_status(request: web.Request) -> web.Response:
    """GET /api/status?handle=."""
    state = state_of(request)
    handle = request.query.get("handle")
    if not handle:
        fail(400, "You must specify a `handle` query parameter.")
    msg = state.messages.get(handle)
    if msg is None or msg.deleted:
        fail(404, "Message not found")
    return ok(msg.send_response())


async def evaluate_service(request: web.Request) -> web.Response:
    """GET /api/evaluate-service?number= (even last digit → iMessage)."""
    state = state_of(request)
    number = request.query.get("number", "")
    if not (is_e164(number) or is_email(number)):
        fail(400, "You must specify a valid `number` (E.164 phone number or email).")
    service = state.service_for(number)
    return ok(
        {"number": number, "service": "iMessage" if service == "iMessage" else "SMS"}
    )


FIELD_FILTERS = (
    "is_outbound",
    "message_type",
    "status",
    "service",
    "sendblue_number",
    "group_id",
    "from_number",
    "to_number",
    "number",
    "account_email",
)
ENUM_FILTERS: dict[str, tuple[str, ...]] = {
    "is_outbound": ("true", "false"),
    "message_type": ("message", "group"),
    "status": MESSAGE_STATUSES,
    "service": SERVICES,
}


def _filter_for(name: str, value: str) -> Callable[[Message], bool]:
    """Return the predicate of one field filter."""
    match name:
        case "is_outbound":
            return lambda m: m.is_outbound == (value == "true")
        case "to_number":
            return lambda m: _has(m.to_number, value)
        case "number":
            return lambda m: m.from_number == value or _has(m.to_number, value)
        case _:
            return lambda m: getattr(m, name) == value


def _list_filters(query: Mapping[str, str]) -> list[Callable[[Message], bool]]:
    """Translate /api/v2/messages query parameters into predicates (§1.3)."""
    for name, allowed in ENUM_FILTERS.items():
        value = query.get(name)
        if value is not None and value not in allowed:
            fail_v2(400, f"Invalid {name}. Must be one of: {', '.join(allowed)}")
    checks = [_filter_for(name, query[name]) for name in FIELD_FILTERS if name in query]
    for prefix, attr in DATE_FILTERS.items():
        for suffix in ("gte", "lte"):
            raw = query.get(f"{prefix}_{suffix}")
            if raw is None:
                continue
            when = parse_iso(raw)
            if when is None:
                fail_v2(400, f"Invalid {prefix}_{suffix}: expected an ISO 8601 date")
            checks.append(_date_check(attr, when, upper=suffix == "lte"))
    return checks


def _date_check(attr: str, when: datetime, *, upper: bool) -> Callable[[Message], bool]:
    """Return a predicate comparing a message date to when."""
    if upper:
        return lambda m: getattr(m, attr) <= when
    return lambda m: getattr(m, attr) >= when


def _has(value: str | list[str], wanted: str) -> bool:
    """Tell whether a number field (string or group array) holds wanted."""
    return wanted in value if isinstance(value, list) else value == wanted


def _paging(query: Mapping[str, str]) -> tuple[int, int, str, bool]:
    """Validate limit/offset/order_by/order_direction."""
    limit = as_int(query.get("limit", "100"))
    if limit is None or not 1 <= limit <= LIST_LIMIT_MAX:
        fail_v2(400, "limit must be an integer between 1 and 100")
    offset = as_int(query.get("offset", "0"))
    if offset is None or offset < 0:
        fail_v2(400, "offset must be a non-negative integer")
    order_by = query.get("order_by", "createdAt")
    if order_by not in ORDER_FIELDS:
        fail_v2(400, "Invalid order_by. Must be one of: createdAt, updatedAt, sentAt")
    direction = query.get("order_direction", "desc")
    if direction not in {"asc", "desc"}:
        fail_v2(400, "Invalid order_direction. Must be one of: asc, desc")
    return limit, offset, ORDER_FIELDS[order_by], direction == "desc"


def _messages_api_limit(state: SimulatorState) -> None:
    """Apply 100 requests / 10 s per account on /api/v2/messages."""
    wait = state.limits.take_messages_api()
    if wait is not None:
        raise rate_limited(
            wait,
            "Too many requests: /api/v2/messages allows 100 requests per 10 seconds",
            code="RATE_LIMITED",
        )


async def list_messages(request: web.Request) -> web.Response:
    """GET /api/v2/messages with filters and pagination."""
    state = state_of(request)
    _messages_api_limit(state)
    limit, offset, attr, descending = _paging(request.query)
    checks = _list_filters(request.query)
    found = [m for m in state.visible_messages() if all(check(m) for check in checks)]
    found.sort(key=lambda m: (getattr(m, attr), m.seq), reverse=descending)
    page = found[offset : offset + limit]
    return ok(
        {
            "status": "OK",
            "data": [m.record() for m in page],
            "pagination": {
                "hasMore": offset + len(page) < len(found),
                "limit": limit,
                "offset": offset,
                "total": len(found),
            },
        }
    )


async def get_message(request: web.Request) -> web.Response:
    """GET /api/v2/messages/{message_id}."""
    state = state_of(request)
    _messages_api_limit(state)
    msg = state.messages.get(request.match_info["message_id"])
    if msg is None or msg.deleted:
        fail_v2(404, "Message not found")
    return ok({"status": "OK", "data": msg.record()})


async def delete_message(request: web.Request) -> web.Response:
    """DELETE /api/message/{message_handle} (soft delete: hidden, kept for control)."""
    state = state_of(request)
    msg = state.messages.get(request.match_info["message_handle"])
    if msg is None or msg.deleted:
        fail(404, "Message not found")
    msg.deleted = True
    return ok({"status": "OK", "message": "Message deleted successfully"})


def setup(app: web.Application) -> None:
    """Register the messaging routes."""
    app.router.add_post("/api/send-message", send_message)
    app.router.add_post("/api/send-group-message", send_group_message)
    app.router.add_post("/api/send-carousel", send_carousel)
    app.router.add_get("/api/status", get_status)
    app.router.add_get("/api/evaluate-service", evaluate_service)
    app.router.add_get("/api/v2/messages", list_messages)
    app.router.add_get("/api/v2/messages/{message_id}", get_message)
    app.router.add_delete("/api/message/{message_handle}", delete_message)
