"""Webhook management: GET/POST/PUT/DELETE /api/account/webhooks (§11.1)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sendblue_simulator.errors import fail, is_url
from sendblue_simulator.http import ok, read_body, state_of
from sendblue_simulator.models import WEBHOOK_TYPES, JSONDict
from sendblue_simulator.state import SimulatorState


def _check_type(value: object) -> str:
    """Validate a webhook type (default receive)."""
    kind = "receive" if value is None else value
    if kind not in WEBHOOK_TYPES:
        fail(400, f"Invalid webhook type. Must be one of: {', '.join(WEBHOOK_TYPES)}")
    return str(kind)


def _check_entry(state: SimulatorState, kind: str, entry: object) -> str | JSONDict:
    """Validate one webhook: a URL string or {url, secret?, sendblue_numbers?}."""
    if isinstance(entry, str):
        if not is_url(entry):
            fail(400, f"Invalid webhook URL: {entry}")
        return entry
    if not isinstance(entry, dict) or not is_url(entry.get("url")):
        fail(400, "Each webhook must be a URL or an object with a valid `url`")
    result: JSONDict = {"url": entry["url"]}
    secret = entry.get("secret")
    if secret is not None:
        if not isinstance(secret, str):
            fail(400, "`secret` must be a string")
        result["secret"] = secret
    numbers = entry.get("sendblue_numbers")
    if numbers is not None:
        if kind != "receive":
            fail(400, "`sendblue_numbers` is only supported on receive webhooks")
        if not isinstance(numbers, list) or any(n not in state.lines for n in numbers):
            fail(400, "`sendblue_numbers` must list Sendblue numbers of this account")
        result["sendblue_numbers"] = list(numbers)
    return result


def _url(entry: str | JSONDict) -> str:
    """Return the URL of a stored webhook entry."""
    return entry if isinstance(entry, str) else str(entry["url"])


def _check_global_secret(value: object) -> str | None:
    """Validate globalSecret."""
    if value is not None and not isinstance(value, str):
        fail(400, "`globalSecret` must be a string")
    return value


async def list_webhooks(request: web.Request) -> web.Response:
    """GET /api/account/webhooks."""
    return ok({"status": "OK", "webhooks": state_of(request).webhooks_json()})


async def add_webhooks(request: web.Request) -> web.Response:
    """POST /api/account/webhooks: append (an existing URL of the type is replaced)."""
    state = state_of(request)
    body = await read_body(request)
    kind = _check_type(body.get("type"))
    webhooks = body.get("webhooks")
    if not isinstance(webhooks, list) or not webhooks:
        fail(400, "`webhooks` must be a non-empty array")
    entries = [_check_entry(state, kind, entry) for entry in webhooks]
    secret = _check_global_secret(body.get("globalSecret"))
    current = state.webhooks[kind]
    for entry in entries:
        current[:] = [old for old in current if _url(old) != _url(entry)]
        current.append(entry)
    if secret is not None:
        state.global_secret = secret
    return ok(
        {
            "status": "OK",
            "message": "Webhooks added successfully",
            "webhooks": state.webhooks_json(),
        }
    )


async def replace_webhooks(request: web.Request) -> web.Response:
    """PUT /api/account/webhooks: replace every type with the given lists."""
    state = state_of(request)
    body = await read_body(request)
    webhooks: Any = body.get("webhooks")
    if not isinstance(webhooks, dict):
        fail(400, "`webhooks` must be an object keyed by webhook type")
    unknown = set(webhooks) - set(WEBHOOK_TYPES) - {"globalSecret"}
    if unknown:
        fail(400, f"Invalid webhook type. Must be one of: {', '.join(WEBHOOK_TYPES)}")
    replacement: dict[str, list[str | JSONDict]] = {kind: [] for kind in WEBHOOK_TYPES}
    for kind in WEBHOOK_TYPES:
        entries = webhooks.get(kind) or []
        if not isinstance(entries, list):
            fail(400, f"`{kind}` must be an array")
        replacement[kind] = [_check_entry(state, kind, entry) for entry in entries]
    secret = _check_global_secret(webhooks.get("globalSecret"))
    state.webhooks = replacement
    if secret is not None:
        state.global_secret = secret
    return ok(
        {
            "status": "OK",
            "message": "Webhooks updated successfully",
            "webhooks": state.webhooks_json(),
        }
    )


async def delete_webhooks(request: web.Request) -> web.Response:
    """DELETE /api/account/webhooks {webhooks: [urls], type?}."""
    state = state_of(request)
    body = await read_body(request)
    kind = _check_type(body.get("type"))
    urls = body.get("webhooks")
    if (
        not isinstance(urls, list)
        or not urls
        or not all(isinstance(u, str) for u in urls)
    ):
        fail(400, "`webhooks` must be a non-empty array of URLs")
    state.webhooks[kind] = [
        entry for entry in state.webhooks[kind] if _url(entry) not in urls
    ]
    return ok({"status": "OK", "message": "Webhooks deleted successfully"})


def setup(app: web.Application) -> None:
    """Register the webhook management routes."""
    app.router.add_get("/api/account/webhooks", list_webhooks)
    app.router.add_post("/api/account/webhooks", add_webhooks)
    app.router.add_put("/api/account/webhooks", replace_webhooks)
    app.router.add_delete("/api/account/webhooks", delete_webhooks)
