"""Checks on arguments, run before anything is sent."""

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import TypeGuard

from yarl import URL

from .exceptions import SendblueInputError

E164 = re.compile(r"\+[1-9]\d{6,14}")
AREA_CODE = re.compile(r"\d{3}|\d{5}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Sendblue documents text "< 18,996 characters".
MAX_CONTENT_LENGTH = 18_995
MAX_UPLOAD_BYTES = 100 * 1024 * 1024


def is_e164(value: object) -> TypeGuard[str]:
    """Tell whether value is a phone number in E.164 format, like +15551234567."""
    return isinstance(value, str) and E164.fullmatch(value) is not None


def is_address(value: object) -> TypeGuard[str]:
    """Tell whether value is an E.164 phone number or an email (an iMessage id)."""
    return is_e164(value) or (
        isinstance(value, str) and EMAIL.fullmatch(value) is not None
    )


def required(value: str | None, field: str) -> str:
    """Reject a missing or blank string."""
    if not isinstance(value, str) or not value.strip():
        msg = f"{field} is required"
        raise SendblueInputError(msg, field=field)
    return value


def phone(value: str | None, field: str) -> str:
    """Accept an E.164 phone number only."""
    if not is_e164(value):
        msg = f"{field} must be a phone number in E.164 format, like +15551234567"
        raise SendblueInputError(msg, field=field)
    return value


def optional_phone(value: str | None, field: str) -> str | None:
    """Accept None or an E.164 phone number."""
    return None if value is None else phone(value, field)


def phone_or_email(value: str | None, field: str) -> str:
    """Accept an E.164 phone number or an email address (an iMessage id)."""
    if not is_address(value):
        msg = f"{field} must be an E.164 phone number or an email address"
        raise SendblueInputError(msg, field=field)
    return value


def non_empty[T](values: Sequence[T] | None, field: str) -> Sequence[T]:
    """Accept a non-empty list (a lone string is not a list)."""
    if isinstance(values, str) or not values:
        msg = f"{field} must be a non-empty list"
        raise SendblueInputError(msg, field=field)
    return values


def phones(values: Sequence[str] | None, field: str) -> list[str]:
    """Accept a non-empty list of E.164 phone numbers."""
    return [phone(value, field) for value in non_empty(values, field)]


def email(value: str | None, field: str) -> str | None:
    """Accept None or an email address."""
    if value is not None and not (isinstance(value, str) and EMAIL.fullmatch(value)):
        msg = f"{field} must be an email address"
        raise SendblueInputError(msg, field=field)
    return value


def url(value: str | None, field: str) -> str:
    """Accept an absolute http(s) URL."""
    try:
        parsed = URL(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.scheme not in {"http", "https"} or not parsed.host:
        msg = f"{field} must be an http or https URL"
        raise SendblueInputError(msg, field=field)
    return str(value)


def optional_url(value: str | None, field: str) -> str | None:
    """Accept None or an absolute http(s) URL."""
    return None if value is None else url(value, field)


def message_body(content: str | None, media_url: str | None) -> None:
    """Require content or media, and keep content within Sendblue's limit."""
    if not content and not media_url:
        msg = "content or media_url is required"
        raise SendblueInputError(msg, field="content")
    if content and len(content) > MAX_CONTENT_LENGTH:
        msg = f"content is longer than {MAX_CONTENT_LENGTH} characters"
        raise SendblueInputError(msg, field="content")
    optional_url(media_url, "media_url")


def choice[E: StrEnum](value: E | str | None, enum: type[E], field: str) -> E:
    """Accept a member of enum or its value (any case); never UNKNOWN."""
    try:
        member = enum(value) if isinstance(value, str) else None
    except ValueError:
        member = None
    if member is None or member.name == "UNKNOWN":
        options = ", ".join(item.value for item in enum if item.name != "UNKNOWN")
        msg = f"{field} must be one of: {options}"
        raise SendblueInputError(msg, field=field)
    return member


def optional_choice[E: StrEnum](
    value: E | str | None, enum: type[E], field: str
) -> E | None:
    """Accept None, a member of enum or its value."""
    return None if value is None else choice(value, enum, field)


def integer(
    value: int | None, field: str, *, minimum: int = 0, maximum: int | None = None
) -> int | None:
    """Accept None or an integer within [minimum, maximum]."""
    if value is None:
        return None
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        bounds = (
            f"between {minimum} and {maximum}"
            if maximum is not None
            else f">= {minimum}"
        )
        msg = f"{field} must be an integer {bounds}"
        raise SendblueInputError(msg, field=field)
    return value


def direction(value: str | None) -> str | None:
    """Accept None, asc or desc (any case) as order_direction."""
    if value is not None and (
        not isinstance(value, str) or value.lower() not in {"asc", "desc"}
    ):
        msg = "order_direction must be asc or desc"
        raise SendblueInputError(msg, field="order_direction")
    return None if value is None else value.lower()


def area_code(value: str | None, field: str) -> str | None:
    """Accept None, a 3-digit area code or a 5-digit ZIP code."""
    if value is not None and not (
        isinstance(value, str) and AREA_CODE.fullmatch(value)
    ):
        msg = f"{field} must be a 3-digit area code or a 5-digit ZIP code"
        raise SendblueInputError(msg, field=field)
    return value


def upload_size(size: int, field: str) -> None:
    """Keep a file within Sendblue's upload limit."""
    if size > MAX_UPLOAD_BYTES:
        msg = f"{field} is larger than Sendblue's 100 MB upload limit"
        raise SendblueInputError(msg, field=field)
