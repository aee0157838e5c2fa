"""Conversations with Assist over iMessage: texts from allowed senders get answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from homeassistant.core import Context, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError

from .addresses import mask
from .api import SendblueError, Service
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_LINE,
    CONF_ALLOWED_SENDERS,
    CONF_ASSIST_AGENT,
    CONF_ASSIST_MARK_READ,
    CONF_ASSIST_SMS,
    EVENT_MESSAGE_RECEIVED,
    LOGGER,
)
from .data import SendblueConfigEntry
from .send import Outgoing, async_send

# Keep typing shown while the agent thinks; longer answers stop it by arriving.
TYPING_MAX_MS = 60_000


class SendblueAssist:
    """Hand texts from allowed senders to a conversation agent and reply."""

    def __init__(self, hass: HomeAssistant, entry: SendblueConfigEntry) -> None:
        """Initialize for one entry."""
        self.hass = hass
        self.entry = entry
        self.agent_id: str | None = entry.options.get(CONF_ASSIST_AGENT)
        self.mark_read: bool = entry.options.get(CONF_ASSIST_MARK_READ, True)
        # The allowlist is required for this mode; checked again here on purpose.
        self.allowed = frozenset(
            s.lower() for s in entry.options.get(CONF_ALLOWED_SENDERS) or []
        )
        # SMS and RCS sender numbers can be spoofed; Apple authenticates iMessage.
        self.services = frozenset(
            {Service.IMESSAGE, Service.SMS, Service.RCS}
            if entry.options.get(CONF_ASSIST_SMS)
            else {Service.IMESSAGE}
        )
        self.conversations: dict[str, str] = {}
        self.answered = 0

    @callback
    def async_start(self) -> Self:
        """Listen to this entry's inbound texts until it unloads."""
        self.entry.async_on_unload(
            self.hass.bus.async_listen(
                EVENT_MESSAGE_RECEIVED, self._async_received, event_filter=self._ours
            )
        )
        return self

    @callback
    def _ours(self, data: Mapping[str, Any]) -> bool:
        """Return whether a text is one to answer."""
        sender = str(data.get("from_number") or "").lower()
        return (
            data.get(ATTR_CONFIG_ENTRY_ID) == self.entry.entry_id
            and bool(self.allowed)
            and sender in self.allowed
            and _service(data.get("service")) in self.services
            and not data.get("is_group")
            and bool(data.get("content"))
            and bool(data.get(ATTR_LINE))
        )

    @callback
    def _async_received(self, event: Event[Mapping[str, Any]]) -> None:
        """Answer in the background; the webhook must not wait for the agent."""
        self.entry.async_create_background_task(
            self.hass,
            self.async_answer(
                sender=event.data["from_number"],
                line=event.data[ATTR_LINE],
                text=event.data["content"],
            ),
            "sendblue_assist_answer",
        )

    async def async_answer(self, *, sender: str, line: str, text: str) -> None:
        """Show typing, ask the agent, and send its answer back on the same line."""
        # Imported here: only entries with Assist mode on need the conversation agent.
        from homeassistant.components import conversation  # noqa: PLC0415

        client = self.entry.runtime_data.client
        try:
            if self.mark_read:
                await client.mark_read(number=sender, from_number=line)
            await client.send_typing_indicator(
                number=sender, from_number=line, max_duration_ms=TYPING_MAX_MS
            )
        except SendblueError as err:
            # Read receipts and typing are best effort (and plan dependent).
            LOGGER.debug("Typing or read receipt for %s failed: %s", mask(line), err)
        try:
            result = await conversation.async_converse(
                self.hass,
                text=text,
                conversation_id=self.conversations.get(sender),
                context=Context(),
                language=self.hass.config.language,
                agent_id=self.agent_id,
            )
        except (HomeAssistantError, ValueError) as err:
            # A removed agent raises ValueError; the text stays unanswered.
            LOGGER.warning("Assist could not answer a text: %s", err)
            return
        if result.conversation_id:
            self.conversations[sender] = result.conversation_id
        speech = result.response.speech.get("plain", {}).get("speech", "")
        if not speech:
            return
        self.answered += 1
        try:
            await async_send(
                self.hass,
                self.entry,
                Outgoing(recipients=[sender], content=speech),
                line=line,
            )
        except HomeAssistantError as err:
            LOGGER.warning(
                "Could not send the Assist answer from %s: %s", mask(line), err
            )

    def diagnostics(self) -> dict[str, Any]:
        """Return how Assist answers and how much it has."""
        return {
            "services": sorted(self.services),
            "conversations": len(self.conversations),
            "answered": self.answered,
        }


def _service(value: object) -> Service | None:
    """Return the channel a text came over, None when unknown."""
    return Service(value) if isinstance(value, str) else None
