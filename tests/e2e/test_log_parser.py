"""The parser of Home Assistant's log reads the formats of every release we test."""

from .conftest import LogRecord, parse_log

# Home Assistant 2026.10 and 2026.11 write the time of a record differently.
LOG_2026_10 = """\
2026-12-01 08:01:56.509 WARNING (MainThread) [homeassistant.loader] We found a custom \
integration sendblue which has not been tested by Home Assistant
2026-12-01 08:01:57.002 ERROR (MainThread) [custom_components.sendblue] Boom
Traceback (most recent call last):
ValueError: boom
"""
LOG_2026_11 = LOG_2026_10.replace(".509 ", ".509+00:00 ").replace(
    ".002 ", ".002-05:30 "
)


def test_log_parser_reads_both_time_formats() -> None:
    """Records, their levels and loggers; a traceback stays with its record."""
    for text in (LOG_2026_10, LOG_2026_11):
        records = parse_log(text)
        assert [(r.level, r.logger) for r in records] == [
            ("WARNING", "homeassistant.loader"),
            ("ERROR", "custom_components.sendblue"),
        ], text
        assert records[1].text.endswith(
            "Boom\nTraceback (most recent call last):\nValueError: boom"
        )


def test_log_parser_keeps_lines_before_the_first_record_out() -> None:
    """What Home Assistant prints before logging is set up belongs to no record."""
    assert parse_log("starting up\n" + LOG_2026_11)[0] == LogRecord(
        "WARNING",
        "homeassistant.loader",
        LOG_2026_11.splitlines()[0],
    )
