"""Account, lines, call forwarding, seats and line provisioning (§9, §10)."""

from __future__ import annotations

import re
from datetime import timedelta

from aiohttp import web

from sendblue_simulator.errors import as_int, fail, fail_v2, is_e164
from sendblue_simulator.http import ok, read_body, state_of
from sendblue_simulator.models import Line, LineRequest, iso
from sendblue_simulator.state import NEW_CONTACT_LOOKBACK_DAYS, SimulatorState

PREVIEW_TTL = timedelta(minutes=10)
AREA_CODE = re.compile(r"^\d{3}$|^\d{5}$")
US_LOCAL = re.compile(r"^\(?(\d{3})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})$")
AVAILABLE_AREA_CODES = (
    "212",
    "305",
    "310",
    "312",
    "415",
    "512",
    "617",
    "646",
    "702",
    "786",
)


async def account(request: web.Request) -> web.Response:
    """GET /account (credential check; INFERRED shape)."""
    config = state_of(request).config
    return ok(
        {
            "status": "OK",
            "email": config.account_email,
            "plan": config.plan,
            "company_name": config.company_name,
        }
    )


async def lines(request: web.Request) -> web.Response:
    """GET /api/lines → {numbers}."""
    return ok({"numbers": list(state_of(request).lines)})


async def lines_state(request: web.Request) -> web.Response:
    """GET /api/v2/lines/state."""
    state = state_of(request)
    return ok(
        {
            "status": "OK",
            "snapshot_at": iso(state.clock.now()),
            "data": [line.state() for line in state.lines.values()],
        }
    )


async def lines_usage(request: web.Request) -> web.Response:
    """GET /api/v2/lines/usage (new-contact windows per line)."""
    state = state_of(request)
    return ok(
        {
            "status": "OK",
            "enabled": True,
            "lines": [state.line_usage(n) for n in state.lines],
        }
    )


async def contact_status(request: web.Request) -> web.Response:
    """GET /api/v2/lines/contact-status?number=&sendblue_number=."""
    state = state_of(request)
    number = request.query.get("number", "")
    line = request.query.get("sendblue_number", "")
    if not is_e164(number):
        fail_v2(400, "number must be an E.164 phone number")
    if line not in state.lines:
        fail_v2(400, "sendblue_number must be one of your Sendblue numbers")
    known = state.has_conversation(line, number)
    return ok(
        {
            "status": "OK",
            "classification": "known" if known else "new",
            "known_contact": known,
            "new_contact_lookback_days": NEW_CONTACT_LOOKBACK_DAYS,
            "number": number,
            "sampled_at": iso(state.clock.now()),
            "sendblue_number": line,
        }
    )


def _path_line(request: web.Request) -> Line:
    """Return the line named in the path (`+` literal or %2B)."""
    line = state_of(request).lines.get(request.match_info["sendblue_number"])
    if line is None:
        fail(404, "Line not found")
    return line


def _forwarding(line: Line) -> web.Response:
    """Answer with the call-forwarding shape."""
    return ok(
        {"forwarding_number": line.forwarding_number, "sendblue_number": line.number}
    )


async def get_forwarding(request: web.Request) -> web.Response:
    """GET /api/lines/{sendblue_number}/call-forwarding."""
    return _forwarding(_path_line(request))


async def put_forwarding(request: web.Request) -> web.Response:
    """PUT /api/lines/{sendblue_number}/call-forwarding (E.164 or US local)."""
    line = _path_line(request)
    body = await read_body(request)
    value = body.get("forwarding_number")
    if isinstance(value, str) and (match := US_LOCAL.match(value.strip())):
        value = "+1" + "".join(match.groups())
    if not is_e164(value):
        fail(400, "forwarding_number must be an E.164 or US local phone number")
    line.forwarding_number = str(value)
    return _forwarding(line)


async def delete_forwarding(request: web.Request) -> web.Response:
    """DELETE /api/lines/{sendblue_number}/call-forwarding (idempotent)."""
    line = _path_line(request)
    line.forwarding_number = None
    return _forwarding(line)


async def list_seats(request: web.Request) -> web.Response:
    """GET /api/v2/seats → a bare array."""
    state = state_of(request)
    seats = [
        s for s in state.seats.values() if request.query.get("email") in {None, s.email}
    ]
    limit = as_int(request.query.get("limit", "100"))
    offset = as_int(request.query.get("offset", "0"))
    if limit is None or limit < 1 or offset is None or offset < 0:
        fail_v2(400, "limit and offset must be non-negative integers")
    email = state.config.account_email
    return ok([seat.as_json(email) for seat in seats[offset : offset + limit]])


async def count_seats(request: web.Request) -> web.Response:
    """GET /api/v2/seats/count."""
    state = state_of(request)
    email = request.query.get("email")
    return ok(
        {"count": sum(1 for s in state.seats.values() if email in {None, s.email})}
    )


async def get_seat(request: web.Request) -> web.Response:
    """GET /api/v2/seats/{seat_id}."""
    state = state_of(request)
    seat = state.seats.get(request.match_info["seat_id"])
    if seat is None:
        fail_v2(404, "Seat not found")
    return ok({"status": "OK", "seat": seat.as_json(state.config.account_email)})


async def provision_preview(request: web.Request) -> web.Response:
    """POST /accounts/lines/provision-preview → a token valid for 10 minutes."""
    state = state_of(request)
    token = f"lpv_{state.new_hex(24)}"
    expires = state.clock.now() + PREVIEW_TTL
    state.previews[token] = expires
    return ok(
        {
            "status": "OK",
            "preview_token": token,
            "expires_at": iso(expires),
            "message": "Confirm within 10 minutes to provision one inbound-only line",
        }
    )


async def provision_confirm(request: web.Request) -> web.Response:
    """POST /accounts/lines/provision-confirm {preview_token} → a new line."""
    state = state_of(request)
    body = await read_body(request)
    token = body.get("preview_token")
    expires = state.previews.pop(str(token), None)
    if expires is None or expires < state.clock.now():
        fail(400, "Invalid or expired preview_token")
    line = state.assign_line(_new_number(state, "512"))
    return ok(
        {"status": "OK", "message": "Line provisioned", "phone_number": line.number}
    )


def _new_number(state: SimulatorState, area_code: str) -> str:
    """Return an unused fictional number in area_code."""
    while True:
        number = f"+1{area_code}555{state.rng.randrange(100, 200):04d}"
        if number not in state.lines:
            return number


async def add_line(request: web.Request) -> web.Response:
    """POST /accounts/lines/add-line (deprecated ticket flow)."""
    state = state_of(request)
    body = await read_body(request)
    if body.get("line_request_type") != "phone":
        fail(400, "line_request_type must be 'phone'")
    area = body.get("desired_area_code")
    if area is not None and (not isinstance(area, str) or not AREA_CODE.match(area)):
        fail(400, "desired_area_code must be a 3-digit area code or a 5-digit ZIP code")
    request_id = state.new_id()
    ticket = state.line_requests[request_id] = LineRequest(
        request_id, area, state.clock.now()
    )
    return ok({"status": "OK", "data": ticket.as_json()})


async def get_line_request(request: web.Request) -> web.Response:
    """GET /accounts/lines/line-request/{id}."""
    ticket = state_of(request).line_requests.get(request.match_info["request_id"])
    if ticket is None:
        fail(404, "Line request not found")
    return ok({"status": "OK", "data": ticket.as_json()})


async def available_area_codes(_request: web.Request) -> web.Response:
    """GET /accounts/lines/available-area-codes (INFERRED shape)."""
    return ok({"status": "OK", "data": list(AVAILABLE_AREA_CODES)})


def setup(app: web.Application) -> None:
    """Register the account and line routes."""
    app.router.add_get("/account", account)
    app.router.add_get("/api/lines", lines)
    app.router.add_get("/api/v2/lines/state", lines_state)
    app.router.add_get("/api/v2/lines/usage", lines_usage)
    app.router.add_get("/api/v2/lines/contact-status", contact_status)
    app.router.add_get("/api/lines/{sendblue_number}/call-forwarding", get_forwarding)
    app.router.add_put("/api/lines/{sendblue_number}/call-forwarding", put_forwarding)
    app.router.add_delete(
        "/api/lines/{sendblue_number}/call-forwarding", delete_forwarding
    )
    app.router.add_get("/api/v2/seats", list_seats)
    app.router.add_get("/api/v2/seats/count", count_seats)
    app.router.add_get("/api/v2/seats/{seat_id}", get_seat)
    for prefix in ("/accounts/lines", "/account/lines"):
        app.router.add_post(f"{prefix}/provision-preview", provision_preview)
        app.router.add_post(f"{prefix}/provision-confirm", provision_confirm)
        app.router.add_post(f"{prefix}/add-line", add_line)
        app.router.add_get(f"{prefix}/line-request/{{request_id}}", get_line_request)
        app.router.add_get(f"{prefix}/available-area-codes", available_area_codes)
