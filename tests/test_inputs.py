"""The input rule of retry_for: how long the outbox keeps trying a failed send."""

from datetime import timedelta

import pytest
from homeassistant.exceptions import ServiceValidationError

from custom_components.sendblue.const import CONF_RETRY_FOR, DOMAIN
from custom_components.sendblue.inputs import retry_for, retry_for_option


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("00:30:00", timedelta(minutes=30)),
        ("24:00:00", timedelta(hours=24)),
        ("0", timedelta(0)),
        (0, timedelta(0)),
        (90, timedelta(seconds=90)),
        (1.5, timedelta(seconds=1.5)),
        ({"hours": 1, "minutes": 30}, timedelta(minutes=90)),
        (timedelta(hours=2), timedelta(hours=2)),
    ],
)
def test_retry_for_accepts_durations(value: object, expected: timedelta) -> None:
    """Durations as Home Assistant writes them, from 0 to 24 hours."""
    assert retry_for("retry_for", value) == expected


@pytest.mark.parametrize(
    "value",
    [
        -1,
        "-00:01:00",
        "24:00:01",
        86_401,
        {"hours": 25},
        "soon",
        "",
        None,
        True,
        [30],
        {"fortnights": 1},
    ],
)
def test_retry_for_refuses_the_rest(value: object) -> None:
    """Negative, over 24 hours or not a duration: a translated error naming it."""
    with pytest.raises(ServiceValidationError) as err:
        retry_for("retry_for", value)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "invalid_retry_for"
    assert err.value.translation_placeholders == {
        "field": "retry_for",
        "value": str(value),
    }


def test_retry_for_option() -> None:
    """The option, 30 minutes when the entry has none."""
    assert retry_for_option({}) == timedelta(minutes=30)
    assert retry_for_option({CONF_RETRY_FOR: {"minutes": 5}}) == timedelta(minutes=5)
    assert retry_for_option({CONF_RETRY_FOR: {"hours": 0}}) == timedelta(0)
