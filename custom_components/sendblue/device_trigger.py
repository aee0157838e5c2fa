"""Device triggers of a Sendblue line: a message arrives, someone starts typing."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

import probatio as vol
from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_PLATFORM, CONF_TYPE
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType

from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_LINE,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_TYPING_INDICATOR,
)
from .identifiers import parse_line_identifier

TRIGGER_MESSAGE_RECEIVED = "message_received"
TRIGGER_TYPING_STARTED = "typing_started"
TRIGGER_EVENTS = {
    TRIGGER_MESSAGE_RECEIVED: EVENT_MESSAGE_RECEIVED,
    TRIGGER_TYPING_STARTED: EVENT_TYPING_INDICATOR,
}
CONF_SENDER = "sender"
# The text to look for; how it must match is CONF_MATCH (contains by default).
CONF_CONTAINS = "contains"
CONF_MATCH = "match"


class TextMatch(StrEnum):
    """How the text of a message must match the trigger's text (any case)."""

    CONTAINS = "contains"
    EQUALS = "equals"
    STARTS_WITH = "starts_with"
    REGEX = "regex"


def _valid_expression(config: ConfigType) -> ConfigType:
    """Refuse a regular expression that does not compile."""
    if config.get(CONF_MATCH) == TextMatch.REGEX:
        try:
            re.compile(config.get(CONF_CONTAINS) or "")
        except re.error as err:
            msg = f"Invalid regular expression in {CONF_CONTAINS}: {err}"
            raise vol.Invalid(msg, path=[CONF_CONTAINS]) from err
    return config


TEXT_FIELDS: dict[vol.Marker, object] = {
    vol.Optional(CONF_SENDER): cv.string,
    vol.Optional(CONF_CONTAINS): cv.string,
    vol.Optional(CONF_MATCH, default=TextMatch.CONTAINS.value): vol.In(
        [match.value for match in TextMatch]
    ),
}
TRIGGER_SCHEMA = vol.All(
    DEVICE_TRIGGER_BASE_SCHEMA.extend(
        {vol.Required(CONF_TYPE): vol.In(TRIGGER_EVENTS), **TEXT_FIELDS}
    ),
    _valid_expression,
)


def _line_of_device(hass: HomeAssistant, device_id: str) -> tuple[str, str] | None:
    """Return (entry id, line) of a line device, None for any other device."""
    if (device := dr.async_get(hass).async_get(device_id)) is None:
        return None
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and (parsed := parse_line_identifier(identifier)):
            return parsed
    return None


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, Any]]:
    """Return the triggers of a line device."""
    if _line_of_device(hass, device_id) is None:
        return []
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: device_id,
            CONF_TYPE: trigger_type,
        }
        for trigger_type in TRIGGER_EVENTS
    ]


async def async_get_trigger_capabilities(
    hass: HomeAssistant,  # noqa: ARG001
    config: ConfigType,
) -> dict[str, vol.Schema]:
    """Return the optional sender and text filters of "message received"."""
    if config[CONF_TYPE] != TRIGGER_MESSAGE_RECEIVED:
        return {}
    return {
        "extra_fields": vol.Schema(
            {
                vol.Optional(CONF_SENDER): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.TEL)
                ),
                vol.Optional(CONF_CONTAINS): TextSelector(),
                vol.Optional(CONF_MATCH, default=TextMatch.CONTAINS.value): (
                    SelectSelector(
                        SelectSelectorConfig(
                            options=[match.value for match in TextMatch],
                            translation_key=CONF_MATCH,
                            mode=SelectSelectorMode.DROPDOWN,
                        )
                    )
                ),
            }
        )
    }


def _text_matcher(config: ConfigType) -> Callable[[str], bool]:
    """Return the test of a message's text, case-insensitive in every mode."""
    wanted: str = config.get(CONF_CONTAINS) or ""
    if not wanted:
        return lambda _: True
    match = TextMatch(config.get(CONF_MATCH, TextMatch.CONTAINS))
    if match is TextMatch.REGEX:
        pattern = re.compile(wanted, re.IGNORECASE)
        return lambda text: pattern.search(text) is not None
    folded = wanted.casefold()
    if match is TextMatch.EQUALS:
        return lambda text: text.strip().casefold() == folded.strip()
    if match is TextMatch.STARTS_WITH:
        return lambda text: text.lstrip().casefold().startswith(folded)
    return lambda text: folded in text.casefold()


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Listen for the line's events that match the trigger."""
    trigger_type: str = config[CONF_TYPE]
    entry_id, line = _line_of_device(hass, config[CONF_DEVICE_ID]) or ("", "")
    sender: str | None = (config.get(CONF_SENDER) or "").lower() or None
    text_matches = _text_matcher(config)
    job = HassJob(action, f"sendblue device trigger {trigger_info}")

    @callback
    def matches(data: Mapping[str, Any]) -> bool:
        if data.get(ATTR_CONFIG_ENTRY_ID) != entry_id or data.get(ATTR_LINE) != line:
            return False
        if trigger_type == TRIGGER_TYPING_STARTED:
            return data.get("is_typing") is True
        if sender and str(data.get("from_number") or "").lower() != sender:
            return False
        return text_matches(str(data.get("content") or ""))

    @callback
    def fire(event: Event[Mapping[str, Any]]) -> None:
        hass.async_run_hass_job(
            job,
            {
                "trigger": {
                    **trigger_info["trigger_data"],
                    CONF_PLATFORM: "device",
                    CONF_DOMAIN: DOMAIN,
                    CONF_DEVICE_ID: config[CONF_DEVICE_ID],
                    CONF_TYPE: trigger_type,
                    "event": event,
                    "description": f"Sendblue {trigger_type} on {line}",
                }
            },
            event.context,
        )

    return hass.bus.async_listen(
        TRIGGER_EVENTS[trigger_type], fire, event_filter=matches
    )
