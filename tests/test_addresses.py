"""Numbers as people type them, group ids, and masking for logs."""

import pytest

from custom_components.sendblue.addresses import (
    format_number,
    is_group_id,
    looks_like_number,
    mask,
    normalize_number,
)


@pytest.mark.parametrize(
    ("typed", "country", "number"),
    [
        ("+1 512 555 0199", None, "+15125550199"),
        ("+1 (512) 555-0199", "DE", "+15125550199"),
        ("(512) 555-0199", "US", "+15125550199"),
        ("512.555.0199", "US", "+15125550199"),
        ("1-512-555-0199", "CA", "+15125550199"),
        ("5125550199", "us", "+15125550199"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("0044 20 7946 0958", None, "+442079460958"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("0151 23456789", "DE", "+4915123456789"),
        ("612 345 678", "ES", "+34612345678"),
        ("0412 345 678", "AU", "+61412345678"),
        # A template's integer turned into digits: E.164 without its "+".
        ("19998887777", None, "+19998887777"),
        ("447700900123", "US", "+447700900123"),
    ],
)
def test_normalized(typed: str, country: str | None, number: str) -> None:
    """Numbers with their country, or unambiguous in the home's, become E.164."""
    assert normalize_number(typed, country) == number


@pytest.mark.parametrize(
    ("typed", "country"),
    [
        ("555-1234", "US"),  # no area code
        ("(512) 555-0199", None),  # no home country
        ("(512) 555-0199", "ZZ"),  # a country whose numbers we do not know
        ("20 7946 0958", "GB"),  # the national prefix 0 is missing
        ("0612 34", "FR"),  # too short for France
        ("+1 512 555", None),  # too short for North America
        ("+0 123 456 789", None),  # no country code starts with 0
        ("4155550100", None),  # ten bare digits: a national number of where?
        ("512-555-O199", "US"),  # a letter O, not a zero
        ("", "US"),
    ],
)
def test_ambiguous(typed: str, country: str | None) -> None:
    """What cannot be read for sure is refused, never guessed."""
    assert normalize_number(typed, country) is None


@pytest.mark.parametrize(
    ("value", "group"),
    [
        ("sb_group_608acc54-1f", True),
        ("9f1c2a3e-0b4d-4c5e-8f60-718293a4b5c6", True),
        ("+15125550199", False),
        ("512-555-0199", False),
        ("15125550199", False),
        ("me@icloud.com", False),
        ("grp", False),
        ("call mom", False),
    ],
)
def test_group_ids(value: str, *, group: bool) -> None:
    """Group ids have letters; numbers, e-mails and phrases are not group ids."""
    assert is_group_id(value) is group


def test_looks_like_number() -> None:
    """Digits with the usual separators look like a number, words do not."""
    assert looks_like_number("+1 (512) 555-0199")
    assert looks_like_number("512.555.0199")
    assert not looks_like_number("sb_group_1")
    assert not looks_like_number("")


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("+15125550199", "+1***99"),
        ("owner@example.com", "o***@example.com"),
        ("1234", "***"),
        (None, "unknown"),
    ],
)
def test_mask(address: str | None, masked: str) -> None:
    """Logs show only enough of an address to tell two apart."""
    assert mask(address) == masked


def test_format_number() -> None:
    """North American lines read as people write them; others as they are."""
    assert format_number("+15125550199") == "+1 (512) 555-0199"
    assert format_number("+442079460958") == "+442079460958"
