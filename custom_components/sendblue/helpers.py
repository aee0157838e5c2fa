"""Helpers shared by the Sendblue platforms, actions and flows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers import issue_registry as ir

from .api import (
    SendblueAuthenticationError,
    SendblueConnectionError,
    SendblueError,
    SendblueInputError,
    SendblueNotFoundError,
    SendblueRateLimitError,
    SendblueServerError,
    SendblueTimeoutError,
    SendblueValidationError,
)
from .const import DOMAIN

if TYPE_CHECKING:
    from .coordinator import SendblueConfigEntry

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_e164(value: str) -> bool:
    """Return whether the value is an E.164 phone number."""
    return E164.fullmatch(value) is not None


def is_address(value: str) -> bool:
    """Return whether the value is an E.164 number or an iMessage e-mail address."""
    return is_e164(value) or EMAIL.fullmatch(value) is not None


LINE_MARK = "_line_"
NANP_LENGTH = len("+14155550100")


def line_identifier(entry_id: str, line: str) -> str:
    """Return the device identifier of one of an entry's lines."""
    return f"{entry_id}{LINE_MARK}{line}"


def parse_line_identifier(identifier: str) -> tuple[str, str] | None:
    """Return (entry id, line) from a line device identifier, else None."""
    entry_id, mark, line = identifier.partition(LINE_MARK)
    return (entry_id, line) if mark and line else None


def from_template_number(value: object) -> object:
    """Give back the + of a number a template rendered as an integer.

    Home Assistant's templates turn "+14155550100" into 14155550100; no one
    means a phone number as an integer otherwise.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return f"+{value}"
    return value


def format_number(number: str) -> str:
    """Format a line for people: +1 (415) 555-0100 for NANP numbers, else as is."""
    if len(number) == NANP_LENGTH and number.startswith("+1") and number[2:].isdigit():
        return f"+1 ({number[2:5]}) {number[5:8]}-{number[8:]}"
    return number


# The first class an error is an instance of picks its message.
ERROR_KEYS: tuple[tuple[type[SendblueError], str], ...] = (
    (SendblueAuthenticationError, "authentication_error"),
    (SendblueRateLimitError, "rate_limited"),
    (SendblueTimeoutError, "timeout_error"),
    (SendblueConnectionError, "connection_error"),
    (SendblueNotFoundError, "not_found"),
    (SendblueValidationError, "rejected"),
    (SendblueInputError, "rejected"),
    (SendblueServerError, "server_error"),
)


def error_translation(err: SendblueError) -> tuple[str, dict[str, str]]:
    """Map a client error to a translation key and its placeholders."""
    key = next((k for cls, k in ERROR_KEYS if isinstance(err, cls)), "unknown_error")
    placeholders = {"error": str(err)}
    if isinstance(err, SendblueRateLimitError):
        retry = err.retry_after
        placeholders["retry_after"] = f"{retry:g}" if retry is not None else "a few"
    return key, placeholders


def ha_error(err: SendblueError) -> HomeAssistantError:
    """Return the translated Home Assistant error for a client error."""
    key, placeholders = error_translation(err)
    cls = HomeAssistantError
    if isinstance(err, SendblueInputError):
        cls = ServiceValidationError
    return cls(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


@contextmanager
def translate_errors(hass: HomeAssistant, entry: SendblueConfigEntry) -> Iterator[None]:
    """Turn client errors raised inside into translated Home Assistant errors."""
    try:
        yield
    except SendblueAuthenticationError as err:
        entry.async_start_reauth(hass)
        raise ha_error(err) from err
    except SendblueError as err:
        raise ha_error(err) from err


@contextmanager
def entry_errors(
    retry: type[HomeAssistantError] = ConfigEntryNotReady,
) -> Iterator[None]:
    """Turn client errors into a reauth, or the error that makes HA retry.

    Setup retries on ConfigEntryNotReady, a coordinator on UpdateFailed.
    """
    try:
        yield
    except SendblueAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="authentication_error"
        ) from err
    except SendblueError as err:
        key, placeholders = error_translation(err)
        raise retry(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders,
        ) from err


def raise_issue(
    hass: HomeAssistant, issue_id: str, key: str, placeholders: dict[str, str]
) -> None:
    """Raise a repair issue the user fixes outside Home Assistant's flows."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=key,
        translation_placeholders=placeholders,
    )
