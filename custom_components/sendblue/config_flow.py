"""Config flow for Sendblue: credentials, reauth, reconfigure and options."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import probatio as vol
from homeassistant.components import webhook
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    ConversationAgentSelector,
    DurationSelector,
    DurationSelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.typing import UNDEFINED, UndefinedType

from .addresses import format_number
from .api import (
    SendblueAuthenticationError,
    SendblueClient,
    SendblueConnectionError,
    SendblueNotFoundError,
    SendblueServerError,
    is_address,
)
from .const import (
    CONF_ACCOUNT_EMAIL,
    CONF_ADVANCED,
    CONF_ALLOWED_SENDERS,
    CONF_API_KEY_ID,
    CONF_API_SECRET_KEY,
    CONF_ASSIST,
    CONF_ASSIST_AGENT,
    CONF_ASSIST_MARK_READ,
    CONF_ASSIST_SMS,
    CONF_BASE_URL,
    CONF_DEFAULT_LINE,
    CONF_LLM_READ_ONLY,
    CONF_POLLING_INTERVAL,
    CONF_RECEIVE_MODE,
    CONF_RECIPIENT_KIND,
    CONF_RECIPIENT_LINE,
    CONF_RECIPIENT_TARGET,
    CONF_REPLAY_WINDOW,
    CONF_RETRY_FOR,
    CONF_WEBHOOK_SECRET,
    DEFAULT_BASE_URL,
    DEFAULT_POLLING_INTERVAL,
    DEFAULT_RECEIVE_MODE,
    DEFAULT_REPLAY_WINDOW,
    DEFAULT_RETRY_FOR,
    DEFAULT_TITLE,
    DOMAIN,
    LOGGER,
    MAX_POLLING_INTERVAL,
    MAX_REPLAY_WINDOW,
    MAX_RETRY_FOR,
    MIN_POLLING_INTERVAL,
    NEW_ENTRY_RECEIVE_MODE,
    SUBENTRY_RECIPIENT,
    ReceiveMode,
    RecipientKind,
)
from .data import SendblueConfigEntry

# Sendblue's other API host, named in the Advanced section's description.
EXAMPLE_BASE_URL = "https://api.sendblue.com"
PASSWORD = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="off")
)


def _credentials_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """Return the user and reconfigure form, prefilled with what is known."""
    return vol.Schema(
        {
            vol.Required(
                CONF_API_KEY_ID, default=defaults.get(CONF_API_KEY_ID, vol.UNDEFINED)
            ): TextSelector(TextSelectorConfig(autocomplete="off")),
            vol.Required(CONF_API_SECRET_KEY): PASSWORD,
            vol.Required(CONF_ADVANCED): section(
                vol.Schema(
                    {
                        vol.Optional(
                            CONF_BASE_URL,
                            default=defaults.get(CONF_BASE_URL, DEFAULT_BASE_URL),
                        ): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
                    }
                ),
                {"collapsed": True},
            ),
        }
    )


async def _async_validate(
    flow: ConfigFlow, key_id: str, secret: str, base_url: str
) -> tuple[dict[str, str], str | None]:
    """Try the credentials; return form errors and the account e-mail."""
    client = SendblueClient(
        key_id,
        secret,
        session=async_get_clientsession(flow.hass),
        base_url=base_url,
    )
    try:
        try:
            account = await client.get_account()
        except SendblueNotFoundError:
            # Not every API host has /account: the lines prove the keys work.
            await client.list_lines()
            return {}, None
    except SendblueAuthenticationError:
        return {"base": "invalid_auth"}, None
    except SendblueConnectionError, SendblueServerError:
        return {"base": "cannot_connect"}, None
    except Exception:  # noqa: BLE001
        LOGGER.exception("Unexpected error while checking Sendblue credentials")
        return {"base": "unknown"}, None
    return {}, account.email


class SendblueConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Sendblue account."""

    VERSION = 1
    # 1.2 keeps the webhook URL registered with Sendblue in storage, not in data.
    MINOR_VERSION = 2

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls,
        config_entry: ConfigEntry,  # noqa: ARG003
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the recipients users can add to an account."""
        return {SUBENTRY_RECIPIENT: RecipientSubentryFlow}

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: SendblueConfigEntry,  # noqa: ARG004
    ) -> SendblueOptionsFlow:
        """Return the options flow."""
        return SendblueOptionsFlow()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the API key id and secret, and optionally the API host."""
        errors: dict[str, str] = {}
        reconfiguring = self.source == SOURCE_RECONFIGURE
        defaults: Mapping[str, Any] = (
            self._get_reconfigure_entry().data if reconfiguring else {}
        )
        if user_input is not None:
            key_id = user_input[CONF_API_KEY_ID].strip()
            secret = user_input[CONF_API_SECRET_KEY].strip()
            base_url = (
                user_input.get(CONF_ADVANCED, {}).get(CONF_BASE_URL) or DEFAULT_BASE_URL
            ).rstrip("/")
            errors, email = await _async_validate(self, key_id, secret, base_url)
            if not errors:
                credentials = {
                    CONF_API_KEY_ID: key_id,
                    CONF_API_SECRET_KEY: secret,
                    CONF_BASE_URL: base_url,
                    CONF_ACCOUNT_EMAIL: email,
                }
                if reconfiguring:
                    return await self._async_finish_reconfigure(credentials)
                await self.async_set_unique_id(key_id)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=email or DEFAULT_TITLE,
                    data={
                        **credentials,
                        CONF_WEBHOOK_ID: webhook.async_generate_id(),
                        CONF_WEBHOOK_SECRET: secrets.token_urlsafe(32),
                    },
                    options={CONF_RECEIVE_MODE: NEW_ENTRY_RECEIVE_MODE.value},
                )
            defaults = {**defaults, **user_input, **user_input.get(CONF_ADVANCED, {})}
        return self.async_show_form(
            step_id="reconfigure" if reconfiguring else "user",
            data_schema=_credentials_schema(defaults),
            errors=errors,
            description_placeholders={"example_url": EXAMPLE_BASE_URL},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the keys or the API host of the same account."""
        return await self.async_step_user(user_input)

    async def _async_finish_reconfigure(
        self, credentials: dict[str, Any]
    ) -> ConfigFlowResult:
        """Apply new credentials if they belong to the same account."""
        entry = self._get_reconfigure_entry()
        known, new = entry.data.get(CONF_ACCOUNT_EMAIL), credentials[CONF_ACCOUNT_EMAIL]
        if known and new and known.lower() != new.lower():
            return self.async_abort(reason="account_mismatch")
        key_id = credentials[CONF_API_KEY_ID]
        if key_id != entry.unique_id:
            await self.async_set_unique_id(key_id)
            self._abort_if_unique_id_configured()
        # The webhook id and secret stay: Sendblue keeps calling the same URL.
        return self._async_update_and_reload(
            entry, unique_id=key_id, data_updates=credentials
        )

    def _async_update_and_reload(
        self,
        entry: ConfigEntry,
        *,
        data_updates: Mapping[str, Any],
        unique_id: str | UndefinedType = UNDEFINED,
    ) -> ConfigFlowResult:
        """Save the changes and reload the entry, once.

        A loaded entry reloads through its update listener; one that failed to
        set up (refused keys) has none and is reloaded here.
        """
        if entry.update_listeners:
            return self.async_update_and_abort(
                entry, unique_id=unique_id, data_updates=data_updates
            )
        return self.async_update_reload_and_abort(
            entry, unique_id=unique_id, data_updates=data_updates
        )

    async def async_step_reauth(
        self,
        entry_data: Mapping[str, Any],  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Start reauthentication when Sendblue refuses the keys."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the API secret again."""
        errors: dict[str, str] = {}
        entry = self._get_reauth_entry()
        if user_input is not None:
            secret = user_input[CONF_API_SECRET_KEY].strip()
            errors, _ = await _async_validate(
                self,
                entry.data[CONF_API_KEY_ID],
                secret,
                entry.data.get(CONF_BASE_URL, DEFAULT_BASE_URL),
            )
            if not errors:
                return self._async_update_and_reload(
                    entry, data_updates={CONF_API_SECRET_KEY: secret}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_API_SECRET_KEY): PASSWORD}),
            description_placeholders={"key_id": entry.data[CONF_API_KEY_ID]},
            errors=errors,
        )


class SendblueOptionsFlow(OptionsFlow):
    """How to receive, and which line and senders to use."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the options."""
        errors: dict[str, str] = {}
        options: Mapping[str, Any] = self.config_entry.options
        if user_input is not None:
            senders = [s.strip() for s in user_input.get(CONF_ALLOWED_SENDERS, [])]
            senders = [s for s in senders if s]
            if any(not is_address(sender) for sender in senders):
                errors[CONF_ALLOWED_SENDERS] = "invalid_sender"
            elif user_input.get(CONF_ASSIST) and not senders:
                # Never hand texts from strangers to an agent that controls the home.
                errors[CONF_ALLOWED_SENDERS] = "assist_needs_allowlist"
            elif cv.time_period(user_input[CONF_RETRY_FOR]) > MAX_RETRY_FOR:
                errors[CONF_RETRY_FOR] = "retry_for_too_long"
            else:
                return self.async_create_entry(
                    data={
                        **user_input,
                        CONF_POLLING_INTERVAL: int(user_input[CONF_POLLING_INTERVAL]),
                        CONF_REPLAY_WINDOW: int(user_input[CONF_REPLAY_WINDOW]),
                        CONF_ALLOWED_SENDERS: senders,
                    }
                )
            options = user_input
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(self._schema(), options),
            errors=errors,
        )

    def _schema(self) -> vol.Schema:
        """Return the options form; lines come from the loaded entry."""
        return vol.Schema(
            {
                vol.Required(
                    CONF_RECEIVE_MODE, default=DEFAULT_RECEIVE_MODE
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=[mode.value for mode in ReceiveMode],
                        translation_key=CONF_RECEIVE_MODE,
                    )
                ),
                vol.Required(
                    CONF_POLLING_INTERVAL, default=DEFAULT_POLLING_INTERVAL
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_POLLING_INTERVAL,
                        max=MAX_POLLING_INTERVAL,
                        step=1,
                        unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(
                    CONF_REPLAY_WINDOW, default=DEFAULT_REPLAY_WINDOW
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=0,
                        max=MAX_REPLAY_WINDOW,
                        step=1,
                        unit_of_measurement="min",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Optional(CONF_DEFAULT_LINE): _line_selector(self.config_entry),
                vol.Optional(CONF_ALLOWED_SENDERS): TextSelector(
                    TextSelectorConfig(multiple=True)
                ),
                vol.Required(CONF_ASSIST, default=False): BooleanSelector(),
                vol.Optional(CONF_ASSIST_AGENT): ConversationAgentSelector(),
                vol.Required(CONF_ASSIST_MARK_READ, default=True): BooleanSelector(),
                vol.Required(CONF_ASSIST_SMS, default=False): BooleanSelector(),
                vol.Required(CONF_LLM_READ_ONLY, default=False): BooleanSelector(),
                vol.Required(
                    CONF_RETRY_FOR,
                    default=_duration(DEFAULT_RETRY_FOR),
                ): DurationSelector(DurationSelectorConfig(enable_day=False)),
            }
        )


def _duration(value: timedelta) -> dict[str, int]:
    """Return a duration as the duration selector shows it."""
    seconds = int(value.total_seconds())
    return {
        "hours": seconds // 3600,
        "minutes": seconds % 3600 // 60,
        "seconds": seconds % 60,
    }


def _line_selector(entry: ConfigEntry) -> SelectSelector:
    """Return a dropdown of the account's lines (empty while not loaded)."""
    lines: list[str] = []
    if hasattr(entry, "runtime_data"):
        lines = sorted(entry.runtime_data.coordinator.data.lines)
    return SelectSelector(
        SelectSelectorConfig(
            options=[
                SelectOptionDict(value=line, label=format_number(line))
                for line in lines
            ],
            mode=SelectSelectorMode.DROPDOWN,
        )
    )


class RecipientSubentryFlow(ConfigSubentryFlow):
    """Add or change a saved recipient: a person or a group chat."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask who to send to and from which line."""
        entry = self._get_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = _recipient_data(user_input)
            duplicate = any(
                sub.unique_id == data[CONF_RECIPIENT_TARGET]
                for sub in entry.subentries.values()
                if sub.subentry_type == SUBENTRY_RECIPIENT
            )
            if duplicate:
                return self.async_abort(reason="already_configured")
            if not errors:
                return self.async_create_entry(
                    title=user_input[CONF_NAME].strip(),
                    data=data,
                    unique_id=data[CONF_RECIPIENT_TARGET],
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _recipient_schema(entry), user_input or {}
            ),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a recipient's name, address or line."""
        entry = self._get_entry()
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = _recipient_data(user_input)
            if not errors:
                return self.async_update_and_abort(
                    entry,
                    subentry,
                    title=user_input[CONF_NAME].strip(),
                    data=data,
                    unique_id=data[CONF_RECIPIENT_TARGET],
                )
        suggested = user_input or {CONF_NAME: subentry.title, **subentry.data}
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _recipient_schema(entry), suggested
            ),
            errors=errors,
        )


def _recipient_schema(entry: ConfigEntry) -> vol.Schema:
    """Return the recipient form."""
    return vol.Schema(
        {
            vol.Required(CONF_NAME): TextSelector(),
            vol.Required(
                CONF_RECIPIENT_KIND, default=RecipientKind.CONTACT.value
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[kind.value for kind in RecipientKind],
                    translation_key=CONF_RECIPIENT_KIND,
                )
            ),
            vol.Required(CONF_RECIPIENT_TARGET): TextSelector(),
            vol.Optional(CONF_RECIPIENT_LINE): _line_selector(entry),
        }
    )


def _recipient_data(
    user_input: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return a recipient's data and the form errors, if any."""
    target = user_input[CONF_RECIPIENT_TARGET].strip()
    kind = RecipientKind(user_input[CONF_RECIPIENT_KIND])
    data = {
        CONF_RECIPIENT_KIND: kind.value,
        CONF_RECIPIENT_TARGET: target,
        CONF_RECIPIENT_LINE: user_input.get(CONF_RECIPIENT_LINE) or None,
    }
    if kind is RecipientKind.CONTACT and not is_address(target):
        return data, {CONF_RECIPIENT_TARGET: "invalid_recipient"}
    if not user_input[CONF_NAME].strip() or not target:
        return data, {"base": "name_and_target_required"}
    return data, {}
