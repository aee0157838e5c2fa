"""Phone numbers and iMessage addresses: reading what people type, showing, masking."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .api import is_e164

# A Sendblue group id: letters, digits, "-" and "_", at least one letter (the
# documented ids look like sb_group_<uuid>). A mistyped number never has one.
GROUP_ID = re.compile(r"(?=[\w-]*[A-Za-z])[\w-]{6,}", re.ASCII)
# What people put between the digits of a number.
SEPARATORS = re.compile(r"[\s().\-/]")
NANP_LENGTH = len("+14155550100")
# A run of digits this long without a + is taken as E.164 that lost its +.
MIN_BARE_INTERNATIONAL = 11
# Shorter than this, a masked address would show all of itself.
MIN_MASKED_LENGTH = 5


@dataclass(frozen=True)
class NumberingPlan:
    """How a country writes its numbers nationally."""

    calling_code: str
    # The prefix dialled before a national number, dropped in E.164 (None: kept).
    trunk_prefix: str | None
    # The digits of the national number without the trunk prefix.
    lengths: range


NANP = NumberingPlan("1", "1", range(10, 11))
# Countries whose homes use Home Assistant most; any other country's numbers are
# taken only in E.164, with their +.
PLANS: dict[str, NumberingPlan] = {
    **dict.fromkeys(("US", "CA", "PR", "GU", "VI", "AS", "MP", "DO", "JM"), NANP),
    "AT": NumberingPlan("43", "0", range(4, 14)),
    "AU": NumberingPlan("61", "0", range(9, 10)),
    "BE": NumberingPlan("32", "0", range(8, 10)),
    "BR": NumberingPlan("55", "0", range(10, 12)),
    "CH": NumberingPlan("41", "0", range(9, 10)),
    "CZ": NumberingPlan("420", None, range(9, 10)),
    "DE": NumberingPlan("49", "0", range(6, 14)),
    "DK": NumberingPlan("45", None, range(8, 9)),
    "ES": NumberingPlan("34", None, range(9, 10)),
    "FI": NumberingPlan("358", "0", range(5, 13)),
    "FR": NumberingPlan("33", "0", range(9, 10)),
    "GB": NumberingPlan("44", "0", range(9, 11)),
    "HK": NumberingPlan("852", None, range(8, 9)),
    "IE": NumberingPlan("353", "0", range(7, 10)),
    "IL": NumberingPlan("972", "0", range(8, 10)),
    "IN": NumberingPlan("91", "0", range(10, 11)),
    "IT": NumberingPlan("39", None, range(6, 12)),
    "JP": NumberingPlan("81", "0", range(9, 11)),
    "MX": NumberingPlan("52", None, range(10, 11)),
    "NL": NumberingPlan("31", "0", range(9, 10)),
    "NO": NumberingPlan("47", None, range(8, 9)),
    "NZ": NumberingPlan("64", "0", range(8, 11)),
    "PL": NumberingPlan("48", None, range(9, 10)),
    "PT": NumberingPlan("351", None, range(9, 10)),
    "SE": NumberingPlan("46", "0", range(7, 10)),
    "SG": NumberingPlan("65", None, range(8, 9)),
    "ZA": NumberingPlan("27", "0", range(9, 10)),
}


def is_group_id(value: str) -> bool:
    """Return whether the value has the shape of a Sendblue group id."""
    return GROUP_ID.fullmatch(value) is not None and "@" not in value


def looks_like_number(value: str) -> bool:
    """Return whether someone meant the value as a phone number."""
    return bool(value) and SEPARATORS.sub("", value).lstrip("+").isdigit()


def normalize_number(value: str, country: str | None) -> str | None:
    """Return a typed number in E.164, or None when its country is ambiguous.

    "+1 512 555 0199" and "0044 20 7946 0958" carry their country. A national
    number ("(512) 555-0199", "020 7946 0958") is read in the home's country
    when it has the length and prefix that country's numbers have. Failing
    that, a long bare run of digits is an E.164 number that lost its "+" (as
    templates and notify's schema drop it).
    """
    text = value.strip()
    digits = SEPARATORS.sub("", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+"):
        return digits if is_e164(digits) and _fits_plan(digits) else None
    national = _national(digits, PLANS.get((country or "").upper()))
    if national is None and text.isdigit() and len(text) >= MIN_BARE_INTERNATIONAL:
        return f"+{text}" if is_e164(f"+{text}") else None
    return national


def _fits_plan(number: str) -> bool:
    """Return whether an E.164 number has its country's length, when we know it."""
    plan = next(
        (
            plan
            for plan in sorted(PLANS.values(), key=lambda p: -len(p.calling_code))
            if number.startswith("+" + plan.calling_code)
        ),
        None,
    )
    return plan is None or len(number) - 1 - len(plan.calling_code) in plan.lengths


def _national(digits: str, plan: NumberingPlan | None) -> str | None:
    """Return a national number in E.164, or None when it is not one of plan's."""
    if plan is None or not digits.isdigit():
        return None
    if plan.trunk_prefix is not None:
        national = digits.removeprefix(plan.trunk_prefix)
        # NANP writes its trunk prefix only sometimes; the others always.
        if national == digits and plan is not NANP:
            return None
    else:
        national = digits
    if len(national) not in plan.lengths:
        return None
    number = f"+{plan.calling_code}{national}"
    return number if is_e164(number) else None


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


def mask(address: str | None) -> str:
    """Hide most of a number or e-mail address for a log line.

    Diagnostics redact addresses; logs show only enough to tell two apart.
    """
    if not address:
        return "unknown"
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    if len(address) < MIN_MASKED_LENGTH:
        return "***"
    return f"{address[:2]}***{address[-2:]}"
