"""Contacts (`/api/v2/contacts*`, §8) and contact sharing (§15, camelCase)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sendblue_simulator.errors import as_int, fail_v2, is_e164, is_url, parse_iso
from sendblue_simulator.http import first_of, ok, read_body, state_of
from sendblue_simulator.models import Contact, iso
from sendblue_simulator.state import SimulatorState

LIST_DEFAULT = 100
LIST_CAP = 1000
OFFSET_CAP = 10000
# (attribute, snake_case name, camelCase alias)
TEXT_FIELDS = (
    ("first_name", "first_name", "firstName"),
    ("last_name", "last_name", "lastName"),
    ("company_name", "company_name", "companyName"),
    ("assigned_to_email", "assigned_to_email", "assignedToEmail"),
)


def _apply_fields(
    state: SimulatorState, contact: Contact, body: dict[str, Any]
) -> None:
    """Copy snake_case or camelCase fields from body onto contact."""
    _apply_text(contact, body)
    line = first_of(body, "sendblue_number", "sendblueNumber")
    if line is not None:
        if line not in state.lines:
            fail_v2(400, "sendblue_number must be one of your Sendblue numbers")
        contact.sendblue_number = line
    _apply_collections(contact, body)
    opt_out = first_of(body, "opt_out", "optOut")
    if opt_out is not None:
        contact.opt_out = bool(opt_out)
        _set_opt_out(state, contact.phone, opted_out=contact.opt_out)


def _apply_text(contact: Contact, body: dict[str, Any]) -> None:
    """Copy the text fields (either spelling)."""
    for attr, snake, camel in TEXT_FIELDS:
        value = first_of(body, snake, camel)
        if value is not None:
            if not isinstance(value, str):
                fail_v2(400, f"{snake} must be a string")
            setattr(contact, attr, value)


def _apply_collections(contact: Contact, body: dict[str, Any]) -> None:
    """Replace tags and merge custom_variables."""
    tags = body.get("tags")
    if tags is not None:
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            fail_v2(400, "tags must be an array of strings")
        contact.tags = list(tags)
    variables = body.get("custom_variables")
    if variables is not None:
        if not isinstance(variables, dict):
            fail_v2(400, "custom_variables must be an object")
        contact.custom_variables.update({str(k): str(v) for k, v in variables.items()})


def _set_opt_out(state: SimulatorState, number: str, *, opted_out: bool) -> None:
    """Record an opt-out (or opt-in) for number."""
    if opted_out:
        state.opt_outs.add(number)
    else:
        state.opt_outs.discard(number)
    if (contact := state.contacts.get(number)) is not None:
        contact.opt_out = opted_out


def _path_contact(request: web.Request) -> Contact:
    """Return the contact named in the path (`+` literal or %2B)."""
    contact = state_of(request).contacts.get(request.match_info["phone_number"])
    if contact is None:
        fail_v2(404, "Contact not found")
    return contact


async def list_contacts(request: web.Request) -> web.Response:
    """GET /api/v2/contacts → a bare JSON array."""
    state = state_of(request)
    query = request.query
    limit = as_int(query.get("limit", str(LIST_DEFAULT)))
    offset = as_int(query.get("offset", "0"))
    if limit is None or limit < 1 or offset is None or offset < 0:
        fail_v2(400, "limit and offset must be non-negative integers")
    limit, offset = min(limit, LIST_CAP), min(offset, OFFSET_CAP)
    contacts = list(state.contacts.values())
    if (phone := query.get("phone_number")) is not None:
        contacts = [c for c in contacts if c.phone == phone]
    if (cid := query.get("cid")) is not None:
        contacts = [c for c in contacts if c.contact_id == cid]
    if (raw := query.get("created_at_gte")) is not None:
        since = parse_iso(raw)
        if since is None:
            fail_v2(400, "created_at_gte must be an ISO 8601 date")
        contacts = [c for c in contacts if c.created_at >= since]
    order_by = query.get("order_by", "created_at")
    if order_by not in Contact.__dataclass_fields__:
        fail_v2(400, f"Invalid order_by: {order_by}")
    direction = query.get("order_direction", "desc")
    if direction not in {"asc", "desc"}:
        fail_v2(400, "Invalid order_direction. Must be one of: asc, desc")
    contacts.sort(
        key=lambda c: str(getattr(c, order_by) or ""), reverse=direction == "desc"
    )
    return ok([c.as_json() for c in contacts[offset : offset + limit]])


async def count_contacts(request: web.Request) -> web.Response:
    """GET /api/v2/contacts/count."""
    return ok({"count": len(state_of(request).contacts)})


async def get_contact(request: web.Request) -> web.Response:
    """GET /api/v2/contacts/{phone_number}."""
    return ok({"status": "OK", "contact": _path_contact(request).as_json()})


async def create_contact(request: web.Request) -> web.Response:
    """POST /api/v2/contacts (409 when it exists unless update_if_exists)."""
    state = state_of(request)
    body = await read_body(request)
    phone = first_of(body, "number", "phone_number", "phoneNumber")
    if phone is None:
        fail_v2(400, "Missing fields")
    if not is_e164(phone):
        fail_v2(400, "Invalid phone number")
    existing = state.contacts.get(phone)
    if existing is not None and not body.get("update_if_exists"):
        fail_v2(409, "Contact already exists")
    contact = existing or state.add_contact(phone)
    _apply_fields(state, contact, body)
    return ok({"status": "OK", "contact": contact.as_json()})


async def update_contact(request: web.Request) -> web.Response:
    """PUT /api/v2/contacts/{phone_number} (custom_variables merged)."""
    contact = _path_contact(request)
    _apply_fields(state_of(request), contact, await read_body(request))
    return ok({"status": "OK", "contact": contact.as_json()})


async def delete_contact(request: web.Request) -> web.Response:
    """DELETE /api/v2/contacts/{phone_number}."""
    contact = _path_contact(request)
    del state_of(request).contacts[contact.phone]
    return ok({"status": "OK"})


async def bulk_create(request: web.Request) -> web.Response:
    """POST /api/v2/contacts/bulk (creates or updates each phone)."""
    state = state_of(request)
    body = await read_body(request)
    items = body.get("contacts")
    if not isinstance(items, list) or not items:
        fail_v2(400, "contacts must be a non-empty array")
    if not all(isinstance(item, dict) and is_e164(item.get("phone")) for item in items):
        fail_v2(400, "Every contact needs a valid E.164 phone")
    created = []
    for item in items:
        contact = state.contacts.get(item["phone"]) or state.add_contact(item["phone"])
        _apply_fields(state, contact, item)
        created.append(contact.as_json())
    return ok({"status": "OK", "contacts": created})


async def bulk_delete(request: web.Request) -> web.Response:
    """DELETE /api/v2/contacts {contact_ids: [E.164 phones]}."""
    state = state_of(request)
    body = await read_body(request)
    phones = body.get("contact_ids")
    if not isinstance(phones, list) or not all(isinstance(p, str) for p in phones):
        fail_v2(400, "contact_ids must be an array of phone numbers")
    amount = sum(
        1
        for phone in dict.fromkeys(phones)
        if state.contacts.pop(phone, None) is not None
    )
    return ok({"status": "OK", "amount": amount})


async def opt_out(request: web.Request) -> web.Response:
    """POST /api/v2/contacts/opt-out {number, opted_out=true}."""
    state = state_of(request)
    body = await read_body(request)
    number = body.get("number")
    if not is_e164(number):
        fail_v2(400, "Invalid phone number")
    opted_out = body.get("opted_out", True)
    if not isinstance(opted_out, bool):
        fail_v2(400, "opted_out must be a boolean")
    _set_opt_out(state, str(number), opted_out=opted_out)
    return ok({"status": "OK", "number": number, "opted_out": opted_out})


async def verify(request: web.Request) -> web.Response:
    """POST /api/v2/contacts/verify {number} (recorded; contact marked verified)."""
    state = state_of(request)
    body = await read_body(request)
    number = body.get("number")
    if not is_e164(number):
        fail_v2(400, "Invalid phone number")
    state.activity.verifications.append(
        {"number": number, "at": iso(state.clock.now())}
    )
    contact = state.contacts.get(str(number)) or state.add_contact(str(number))
    contact.verified = True
    return ok({"status": "OK"})


def _line_param(state: SimulatorState, value: object) -> str:
    """Check a camelCase fromNumber that must be an account line."""
    if value not in state.lines:
        fail_v2(400, "fromNumber must be one of your Sendblue numbers")
    return str(value)


def _profile_state(profile: dict[str, Any] | None) -> dict[str, Any]:
    """Return the contact-sharing `data` object."""
    profile = profile or {}
    return {
        "hasProfile": bool(profile),
        "firstName": profile.get("firstName"),
        "lastName": profile.get("lastName"),
        "displayName": profile.get("displayName"),
    }


async def sharing_state(request: web.Request) -> web.Response:
    """GET /api/v2/contact-sharing/state?fromNumber=."""
    state = state_of(request)
    line = _line_param(state, request.query.get("fromNumber"))
    return ok({"status": "OK", "data": _profile_state(state.lines[line].profile)})


async def sharing_profile(request: web.Request) -> web.Response:
    """POST /api/v2/contact-sharing/profile (create or overwrite)."""
    state = state_of(request)
    body = await read_body(request)
    line = _line_param(state, body.get("fromNumber"))
    for name in ("firstName", "lastName"):
        if not isinstance(body.get(name), str) or not body[name]:
            fail_v2(400, f"{name} is required")
    if not is_url(body.get("photoUrl"), https_only=True):
        fail_v2(400, "photoUrl must be a public https URL of a JPEG or PNG image")
    display = body.get("displayName")
    state.lines[line].profile = {
        "firstName": body["firstName"],
        "lastName": body["lastName"],
        "photoUrl": body["photoUrl"],
        "displayName": display if isinstance(display, str) else None,
    }
    return ok({"status": "OK", "data": _profile_state(state.lines[line].profile)})


def setup(app: web.Application) -> None:
    """Register the contact routes."""
    app.router.add_get("/api/v2/contacts", list_contacts)
    app.router.add_post("/api/v2/contacts", create_contact)
    app.router.add_delete("/api/v2/contacts", bulk_delete)
    app.router.add_get("/api/v2/contacts/count", count_contacts)
    app.router.add_post("/api/v2/contacts/bulk", bulk_create)
    app.router.add_post("/api/v2/contacts/opt-out", opt_out)
    app.router.add_post("/api/v2/contacts/verify", verify)
    app.router.add_get("/api/v2/contacts/{phone_number}", get_contact)
    app.router.add_put("/api/v2/contacts/{phone_number}", update_contact)
    app.router.add_delete("/api/v2/contacts/{phone_number}", delete_contact)
    app.router.add_get("/api/v2/contact-sharing/state", sharing_state)
    app.router.add_post("/api/v2/contact-sharing/profile", sharing_profile)
