"""Group management: create-group, modify-group, /api/v2/groups (§7)."""

from __future__ import annotations

from typing import Any, NoReturn

from aiohttp import web

from sendblue_simulator.errors import ApiError, fail, fail_v2, is_e164, is_email, is_url
from sendblue_simulator.http import ok, read_body, require_line, state_of
from sendblue_simulator.models import Group, Upload
from sendblue_simulator.state import SimulatorState

from .media import media_url, read_upload
from .messages import check_members

MODIFY_TYPES = ("add_recipient", "remove_recipient")
MIN_MEMBERS_FOR_REMOVAL = 4


async def create_group(request: web.Request) -> web.Response:
    """POST /api/create-group (INFERRED shape: from_number, numbers, group_name?)."""
    state = state_of(request)
    body = await read_body(request)
    line = require_line(state, body.get("from_number"))
    members = check_members(body.get("numbers"), line)
    name = body.get("group_name")
    if name is not None and not isinstance(name, str):
        fail(400, "`group_name` must be a string.")
    group = state.find_or_create_group(line, members, name or None)
    return ok(
        {
            "status": "OK",
            "message": "Group created",
            "group_id": group.group_id,
            "from_number": line,
            "numbers": list(group.members),
            "group_name": group.name,
        }
    )


def _modify_error(
    status: int, code: str, message: str, body: dict[str, Any]
) -> NoReturn:
    """Raise the modify-group error shape (`error` holds the stable code)."""
    raise ApiError(
        status,
        {
            "status": "ERROR",
            "error": code,
            "error_message": message,
            "group_id": body.get("group_id"),
            "modify_type": body.get("modify_type"),
            "number": body.get("number"),
        },
    )


def _acting_line(state: SimulatorState, group: Group, body: dict[str, Any]) -> str:
    """Pick the account line acting in the group, as the SDK documents."""
    from_number = body.get("from_number")
    if from_number is not None:
        if from_number not in state.lines or from_number != group.line:
            _modify_error(
                400,
                "line_not_registered",
                "from_number is not a line of this group",
                body,
            )
        return str(from_number)
    in_group = [n for n in group.participants() if n in state.lines]
    if not in_group:
        _modify_error(
            400,
            "line_not_registered",
            "No account line participates in this group",
            body,
        )
    if len(in_group) > 1:
        _modify_error(
            400,
            "ambiguous_sending_line",
            "Several account lines are in this group",
            body,
        )
    return in_group[0]


async def modify_group(request: web.Request) -> web.Response:
    """POST /api/modify-group (add or remove one participant)."""
    state = state_of(request)
    body = await read_body(request)
    group = state.groups.get(str(body.get("group_id")))
    if group is None:
        _modify_error(404, "group_not_found", "Group not found", body)
    modify_type = body.get("modify_type")
    if modify_type not in MODIFY_TYPES:
        _modify_error(
            400,
            "invalid_modify_type",
            "modify_type must be add_recipient or remove_recipient",
            body,
        )
    number = body.get("number")
    if not (is_e164(number) or is_email(number)):
        _modify_error(
            400, "invalid_number", "number must be E.164 or an iMessage email", body
        )
    line = _acting_line(state, group, body)
    if number == line:
        _modify_error(
            400,
            "unsupported_target",
            "The acting line cannot add or remove itself",
            body,
        )
    if modify_type == "add_recipient":
        if number not in group.members:
            group.members.append(str(number))
    else:
        if number not in group.members:
            _modify_error(
                400,
                "not_a_participant",
                "number is not a participant of this group",
                body,
            )
        if len(group.participants()) < MIN_MEMBERS_FOR_REMOVAL:
            _modify_error(
                400, "group_too_small", "Removal requires at least four members", body
            )
        group.members.remove(str(number))
    group.updated_at = state.clock.now()
    return ok(
        {
            "status": "OK",
            "error": None,
            "error_message": None,
            "group_id": group.group_id,
            "modify_type": modify_type,
            "number": number,
        }
    )


def _group_or_404(state: SimulatorState, request: web.Request) -> Group:
    """Return the group named in the path."""
    group = state.groups.get(request.match_info["group_id"])
    if group is None:
        fail_v2(404, "Group not found")
    return group


def _check_from(state: SimulatorState, group: Group, value: object) -> str | None:
    """Validate the optional acting line of a v2 group change."""
    if value is None:
        return None
    if value not in state.lines or value != group.line:
        fail_v2(400, "from_number must be an account line in this group")
    return str(value)


async def get_group(request: web.Request) -> web.Response:
    """GET /api/v2/groups/{group_id}."""
    group = _group_or_404(state_of(request), request)
    return ok({"status": "OK", "data": group.as_v2()})


async def rename_group(request: web.Request) -> web.Response:
    """POST /api/v2/groups/{group_id}/name (null or "" clears)."""
    state = state_of(request)
    group = _group_or_404(state, request)
    body = await read_body(request)
    if "group_name" not in body:
        fail_v2(400, "group_name is required")
    name = body["group_name"]
    if name is not None and not isinstance(name, str):
        fail_v2(400, "group_name must be a string or null")
    if isinstance(name, str) and name and not name.strip():
        fail_v2(400, "group_name must not be whitespace only")
    from_number = _check_from(state, group, body.get("from_number"))
    group.name = name or None
    group.updated_at = state.clock.now()
    return ok(
        {
            "status": "OK",
            "data": {
                "from_number": from_number,
                "group_id": group.group_id,
                "group_name": group.name or "",
            },
        }
    )


async def set_group_photo(request: web.Request) -> web.Response:
    """POST /api/v2/groups/{group_id}/photo (JSON photo_url, or multipart `file`)."""
    state = state_of(request)
    group = _group_or_404(state, request)
    if request.content_type.startswith("multipart/"):
        upload: Upload = await read_upload(request, state)
        photo_url: str | None = media_url(request, state, upload.media_object_id)
        from_number = None
    else:
        body = await read_body(request)
        if "photo_url" not in body:
            fail_v2(400, "photo_url is required")
        photo_url = body["photo_url"]
        if photo_url is not None and not is_url(photo_url, https_only=True):
            fail_v2(400, "photo_url must be a direct https URL")
        from_number = _check_from(state, group, body.get("from_number"))
    group.photo = (
        {"photo_guid": state.new_id(), "url": photo_url} if photo_url else None
    )
    group.updated_at = state.clock.now()
    return ok(
        {
            "status": "OK",
            "data": {
                "from_number": from_number,
                "group_id": group.group_id,
                "group_photo": group.photo,
            },
        }
    )


def setup(app: web.Application) -> None:
    """Register the group routes."""
    app.router.add_post("/api/create-group", create_group)
    app.router.add_post("/api/modify-group", modify_group)
    app.router.add_get("/api/v2/groups/{group_id}", get_group)
    app.router.add_post("/api/v2/groups/{group_id}/name", rename_group)
    app.router.add_post("/api/v2/groups/{group_id}/photo", set_group_photo)
