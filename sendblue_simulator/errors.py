"""Sendblue's error envelopes and the input checks the routes share."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, NoReturn

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ApiError(Exception):
    """An error answered with a JSON envelope."""

    def __init__(
        self,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        """Store the HTTP status, body and extra headers."""
        super().__init__(body.get("message") or body.get("error_message"))
        self.status = status
        self.body = body
        self.headers = headers or {}


def fail(status: int, message: str, *, code: str | None = None) -> NoReturn:
    """Raise the legacy envelope, or the v2 one when an error code is given (§0.7)."""
    body: dict[str, Any] = {"status": "ERROR"}
    if code is not None:
        body["error_code"] = code
    body["message"] = message
    raise ApiError(status, body)


def fail_v2(status: int, message: str) -> NoReturn:
    """Raise the v2 envelope with an error code derived from the status."""
    codes = {
        400: "VALIDATION_ERROR",
        404: "NOT_FOUND",
        406: "NOT_ACCEPTABLE",
        409: "CONFLICT",
        429: "RATE_LIMITED",
    }
    fail(status, message, code=codes.get(status, "ERROR"))


def is_e164(value: object) -> bool:
    """Tell whether value is an E.164 phone number."""
    return isinstance(value, str) and E164.match(value) is not None


def is_email(value: object) -> bool:
    """Tell whether value looks like an email address (iMessage handle)."""
    return isinstance(value, str) and EMAIL.match(value) is not None


def is_url(value: object, *, https_only: bool = False) -> bool:
    """Tell whether value is an absolute http(s) URL."""
    if not isinstance(value, str):
        return False
    prefixes = ("https://",) if https_only else ("https://", "http://")
    return value.startswith(prefixes) and len(value) > len("https://")


def parse_iso(value: str) -> datetime | None:
    """Parse an ISO 8601 timestamp (Z or offset); None if it is not one."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def as_int(value: object) -> int | None:
    """Return value as an int (JSON number or digit string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None
