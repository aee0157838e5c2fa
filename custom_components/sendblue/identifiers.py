"""Identifiers of the devices and entities of an entry."""

from __future__ import annotations

LINE_MARK = "_line_"


def line_identifier(entry_id: str, line: str) -> str:
    """Return the device identifier of one of an entry's lines."""
    return f"{entry_id}{LINE_MARK}{line}"


def parse_line_identifier(identifier: str) -> tuple[str, str] | None:
    """Return (entry id, line) from a line device identifier, else None."""
    entry_id, mark, line = identifier.partition(LINE_MARK)
    return (entry_id, line) if mark and line else None


def recipient_identifier(entry_id: str, subentry_id: str) -> str:
    """Return the device identifier and unique id of a saved recipient."""
    return f"{entry_id}_{subentry_id}"
