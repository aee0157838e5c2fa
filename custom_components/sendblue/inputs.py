"""The rules for what users give the actions and notify: one owner for all of them.

Numbers are read as people type them ("+1 512 555 0199", "(512) 555-0199")
and sent in E.164; the client library's own checks (api/validation.py) set the
limits. Every refusal is a translated error that names the field; the action
layer swaps the field's key for its label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import probatio as vol
from homeassistant.helpers import config_validation as cv

from .addresses import is_group_id, looks_like_number, normalize_number
from .api import MAX_CONTENT_LENGTH, SendStyle
from .api.validation import EMAIL
from .const import CONF_DEFAULT_LINE, CONF_RETRY_FOR, DEFAULT_RETRY_FOR, MAX_RETRY_FOR
from .data import SendblueConfigEntry
from .errors import invalid


@dataclass(frozen=True)
class Inputs:
    """Check and normalise input, reading national numbers in the home's country."""

    country: str | None

    def phone(self, field: str, value: str) -> str:
        """Return a phone number in E.164, or raise naming the field."""
        number = normalize_number(value, self.country)
        if number is None:
            raise invalid("invalid_phone", field=field, number=value.strip())
        return number

    def phones(self, field: str, values: Iterable[str]) -> list[str]:
        """Return phone numbers in E.164 without repeats, empty entries dropped."""
        numbers = [self.phone(field, value) for value in _given(values)]
        if not numbers:
            raise invalid("no_recipient", field=field)
        return list(dict.fromkeys(numbers))

    def address(self, field: str, value: str) -> str:
        """Return a number in E.164 or an iMessage e-mail address, or raise."""
        text = value.strip()
        if EMAIL.fullmatch(text):
            return text
        if (number := normalize_number(text, self.country)) is None:
            raise invalid("invalid_number", field=field, number=text)
        return number

    def addresses(self, field: str, values: Iterable[str]) -> list[str]:
        """Return addresses without repeats, empty entries dropped; at least one."""
        addresses = [self.address(field, value) for value in _given(values)]
        if not addresses:
            raise invalid("no_recipient", field=field)
        return list(dict.fromkeys(addresses))

    def targets(self, field: str, values: Iterable[str]) -> tuple[list[str], list[str]]:
        """Split notify targets into addresses and group ids.

        A target is a group only when it has the shape of a Sendblue group id;
        anything typed as a number must be a valid one.
        """
        addresses: list[str] = []
        groups: list[str] = []
        for value in _given(values):
            if "@" in value or looks_like_number(value):
                addresses.append(self.address(field, value))
            elif is_group_id(value):
                groups.append(value)
            else:
                raise invalid("invalid_number", field=field, number=value)
        if not addresses and not groups:
            raise invalid("no_recipient", field=field)
        return list(dict.fromkeys(addresses)), list(dict.fromkeys(groups))


def _given(values: Iterable[str]) -> list[str]:
    """Return the entries stripped, without the empty rows a UI list leaves."""
    return [text for value in values if (text := str(value).strip())]


def check_content(content: str | None, media: str | None) -> None:
    """Raise unless there is text or media, and the text fits."""
    if not content and not media:
        raise invalid("nothing_to_send")
    if content and len(content) > MAX_CONTENT_LENGTH:
        raise invalid(
            "message_too_long", length=str(len(content)), max=str(MAX_CONTENT_LENGTH)
        )


def send_style(value: str | None) -> SendStyle | None:
    """Return the send style, or raise for one Sendblue does not know."""
    if not value:
        return None
    try:
        return SendStyle(value)
    except ValueError:
        raise invalid("invalid_send_style", send_style=value) from None


def retry_for(field: str, value: object) -> timedelta:
    """Return how long to keep trying a failed send: 0 to 24 hours, or raise.

    Takes what Home Assistant takes for a duration: "HH:MM:SS", seconds, or the
    duration selector's {"hours": ..., "minutes": ...}.
    """
    duration: timedelta | None = None
    # A bool is an int to Python, not a duration to a user.
    if not isinstance(value, bool):
        with suppress(vol.Invalid):
            duration = cv.time_period(value)
    if duration is None or not timedelta(0) <= duration <= MAX_RETRY_FOR:
        raise invalid("invalid_retry_for", field=field, value=str(value))
    return duration


def given_retry_for(data: Mapping[str, Any], field: str) -> timedelta | None:
    """Return the retry_for a call gives, or None to use the entry's option."""
    return retry_for(field, data[field]) if field in data else None


def retry_for_option(options: Mapping[str, Any]) -> timedelta:
    """Return the entry's "Keep trying failed sends for" (checked when it was saved)."""
    if (value := options.get(CONF_RETRY_FOR)) is None:
        return DEFAULT_RETRY_FOR
    return retry_for(CONF_RETRY_FOR, value)


def one_of(data: Mapping[str, Any], first: str, second: str, *, required: bool) -> None:
    """Raise when both fields are given, or neither when one is required."""
    given = [name for name in (first, second) if data.get(name)]
    if len(given) > 1:
        raise invalid("exclusive_fields", first=first, second=second)
    if required and not given:
        raise invalid("missing_fields", first=first, second=second)


def resolve_line(entry: SendblueConfigEntry, from_number: str | None) -> str:
    """Return the sending line: the one asked for, the default, or the first."""
    lines = sorted(entry.runtime_data.coordinator.data.lines)
    if from_number:
        line = normalize_number(from_number, None) or from_number.strip()
        if line not in lines:
            raise invalid("unknown_line", line=from_number)
        return line
    default = entry.options.get(CONF_DEFAULT_LINE)
    if default in lines:
        return str(default)
    if not lines:
        raise invalid("no_line")
    return lines[0]
