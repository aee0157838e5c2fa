"""The one place client errors become Home Assistant errors, and reauth starts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.translation import async_get_translations

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


# Placeholders of input errors that hold a field's key, shown as its label.
FIELD_PLACEHOLDERS = frozenset({"field", "first", "second"})


def ha_error(err: SendblueError) -> HomeAssistantError:
    """Return the translated Home Assistant error for a client error."""
    key, placeholders = error_translation(err)
    cls = ServiceValidationError if isinstance(err, SendblueInputError) else None
    return (cls or HomeAssistantError)(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def invalid(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated error for input the user must correct."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


async def async_name_field(
    hass: HomeAssistant, err: ServiceValidationError, domain: str, service: str
) -> ServiceValidationError:
    """Return the error naming its fields by the labels the user sees ("To")."""
    placeholders = dict(err.translation_placeholders or {})
    named = FIELD_PLACEHOLDERS & set(placeholders)
    if not named:
        return err
    translations = await async_get_translations(
        hass, hass.config.language, "services", {domain}
    )
    prefix = f"component.{domain}.services.{service}.fields"
    for name in named:
        field = placeholders[name]
        placeholders[name] = translations.get(f"{prefix}.{field}.name", field)
    return ServiceValidationError(
        translation_domain=err.translation_domain,
        translation_key=err.translation_key,
        translation_placeholders=placeholders,
    )


def start_reauth(hass: HomeAssistant, entry: ConfigEntry, err: SendblueError) -> None:
    """Ask the user for new keys when Sendblue refused these."""
    if isinstance(err, SendblueAuthenticationError):
        entry.async_start_reauth(hass)


@contextmanager
def action_errors(hass: HomeAssistant, entry: ConfigEntry) -> Iterator[None]:
    """Guard an action: client errors become translated errors, 401 reauth."""
    try:
        yield
    except SendblueError as err:
        start_reauth(hass, entry, err)
        raise ha_error(err) from err


@contextmanager
def setup_errors(
    retry: type[HomeAssistantError] = ConfigEntryNotReady,
) -> Iterator[None]:
    """Guard setup or a refresh: 401 reauths, anything else retries later.

    Setup retries on ConfigEntryNotReady, a coordinator on UpdateFailed; Home
    Assistant starts the reauth for ConfigEntryAuthFailed itself.
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
