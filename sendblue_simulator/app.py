"""The aiohttp application: request log, faults, auth, error envelopes, routes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import control
from .errors import ApiError
from .faults import FaultKind, FaultRule
from .http import STATE, state_of
from .limits import retry_after_header
from .models import iso
from .routes import (
    account,
    contacts,
    events,
    groups,
    interactions,
    media,
    messages,
    webhook_config,
)
from .state import SimulatorState

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CONTROL_PREFIX = "/_sim/"
MEDIA_PREFIX = "/media/"
AUTH_HEADERS = ("sb-api-key-id", "sb-api-secret-key")
REDACTED = "***"
INFLIGHT = web.AppKey(
    "sendblue_simulator_inflight", set[asyncio.Task[web.StreamResponse]]
)


def _is_control(request: web.Request) -> bool:
    """Tell whether request is for the control API (no log, faults or auth)."""
    return request.path.startswith(
        CONTROL_PREFIX
    ) or request.path == CONTROL_PREFIX.rstrip("/")


async def _log_entry(request: web.Request) -> dict[str, Any]:
    """Describe a request: method, path, raw query, headers minus secrets, JSON body."""
    headers = {
        name.lower(): (REDACTED if name.lower() in AUTH_HEADERS else value)
        for name, value in request.headers.items()
    }
    body: Any = None
    if request.content_type == "application/json" and request.can_read_body:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
    return {
        "method": request.method,
        "path": request.path,
        "raw_path": request.raw_path.split("?", 1)[0],
        "query_string": request.query_string,
        "query": dict(request.query),
        "headers": headers,
        "json": body,
        "at": iso(state_of(request).clock.now()),
        "status": None,
        "fault": None,
        "fault_after": None,
    }


@web.middleware
async def finish_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Handle a request to the end even when its caller leaves, as a server would."""
    if request.path == events.EVENTS_PATH:
        # A stream has nothing to finish: it ends when its client leaves.
        return await handler(request)
    inflight = request.app[INFLIGHT]

    async def handle() -> web.StreamResponse:
        return await handler(request)

    # Eager: a handler that never waits runs at once, as it would unshielded.
    task = asyncio.create_task(handle(), eager_start=True)
    if not task.done():
        inflight.add(task)
        task.add_done_callback(inflight.discard)
    return await asyncio.shield(task)


async def _cancel_inflight(app: web.Application) -> None:
    """Cancel the requests still being handled (the server is stopping)."""
    tasks = app[INFLIGHT]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@web.middleware
async def log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record every API request and its answer status."""
    if _is_control(request):
        return await handler(request)
    entry = await _log_entry(request)
    request["log_entry"] = entry
    state_of(request).activity.requests.append(entry)
    response = await handler(request)
    entry["status"] = response.status
    return response


@web.middleware
async def error_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Turn ApiError into Sendblue's JSON envelope."""
    try:
        return await handler(request)
    except ApiError as err:
        return web.json_response(err.body, status=err.status, headers=err.headers)


@web.middleware
async def fault_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Apply the injected fault for this request, if any (before or after handling)."""
    if _is_control(request):
        return await handler(request)
    # A stream has no single answer to replace, so after-faults leave it alone.
    rule = state_of(request).faults.pick(
        request.path, after_allowed=request.path != events.EVENTS_PATH
    )
    if rule is None:
        return await handler(request)
    entry = request.get("log_entry")
    if entry is not None:
        entry["fault"] = str(rule.kind)
        entry["fault_after"] = rule.after
    if not rule.after:
        return await _apply_fault(request, rule, lambda: handler(request))
    try:
        answer = await handler(request)
    except ApiError as err:
        answer = web.json_response(err.body, status=err.status, headers=err.headers)
    if entry is not None:
        entry["handled_status"] = answer.status

    async def held() -> web.StreamResponse:
        return answer

    return await _apply_fault(request, rule, held)


async def _apply_fault(
    request: web.Request,
    rule: FaultRule,
    answer: Callable[[], Awaitable[web.StreamResponse]],
) -> web.StreamResponse:
    """Answer with the fault instead of answer() (delay: answer() late)."""
    match rule.kind:
        case FaultKind.RATE_LIMIT:
            raise ApiError(
                429,
                {"status": "ERROR", "message": "Too many requests"},
                {"Retry-After": retry_after_header(rule.retry_after)},
            )
        case FaultKind.SERVER_ERROR:
            raise ApiError(500, {"status": "ERROR", "message": "Internal server error"})
        case FaultKind.UNAVAILABLE:
            raise ApiError(503, {"status": "ERROR", "message": "Service unavailable"})
        case FaultKind.DELAY:
            await asyncio.sleep(rule.delay_ms / 1000)
            return await answer()
        case FaultKind.RESET:
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=499)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Require both sb-api-key-id and sb-api-secret-key (401 envelope otherwise)."""
    if _is_control(request) or request.path.startswith(MEDIA_PREFIX):
        return await handler(request)
    config = state_of(request).config
    key_id = request.headers.get("sb-api-key-id")
    secret = request.headers.get("sb-api-secret-key")
    if key_id != config.api_key_id or secret != config.api_secret_key:
        body: dict[str, Any] = {"status": "ERROR"}
        if request.path.startswith("/api/v2/"):
            body["error_code"] = "UNAUTHORIZED"
        body["message"] = (
            "Unauthorized: missing or invalid sb-api-key-id / sb-api-secret-key"
        )
        raise ApiError(401, body)
    return await handler(request)


@web.middleware
async def not_found_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Answer unknown API paths with the JSON envelope instead of HTML."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        raise ApiError(
            404,
            {"status": "ERROR", "message": f"Cannot {request.method} {request.path}"},
        ) from None
    except web.HTTPMethodNotAllowed:
        raise ApiError(
            405,
            {"status": "ERROR", "message": f"Cannot {request.method} {request.path}"},
        ) from None


def build_app(
    state: SimulatorState, owner: control.SimulatorControl
) -> web.Application:
    """Create the application serving the Sendblue API and the /_sim/ control API."""
    app = web.Application(
        middlewares=[
            finish_middleware,
            log_middleware,
            error_middleware,
            fault_middleware,
            auth_middleware,
            not_found_middleware,
        ],
        client_max_size=state.config.max_upload_bytes + 1024 * 1024,
    )
    app[STATE] = state
    app[INFLIGHT] = set()
    app.on_cleanup.append(_cancel_inflight)
    for module in (
        account,
        messages,
        interactions,
        groups,
        media,
        contacts,
        webhook_config,
        events,
    ):
        module.setup(app)
    control.setup(app, owner)
    return app


def build_control_app(
    state: SimulatorState, owner: control.SimulatorControl
) -> web.Application:
    """Create the application serving only /_sim/ (on its own port)."""
    app = web.Application(middlewares=[error_middleware, not_found_middleware])
    app[STATE] = state
    control.setup(app, owner)
    return app
