"""Tests for conversations with Assist over iMessage."""

from typing import Any
from unittest.mock import AsyncMock

import pytest
from aiohttp.test_utils import TestClient
from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sendblue.api import Message, SendblueValidationError
from custom_components.sendblue.const import (
    CONF_ALLOWED_SENDERS,
    CONF_ASSIST,
    CONF_ASSIST_AGENT,
    CONF_ASSIST_MARK_READ,
    CONF_ASSIST_SMS,
)

from .conftest import CONTACT, LINE_1, WEBHOOK_ID, WEBHOOK_SECRET, load_json

STRANGER = "+15550009999"


class EchoAgent(conversation.AbstractConversationAgent):
    """A conversation agent that answers with what it was told and remembers."""

    def __init__(self) -> None:
        """Initialize with no conversations."""
        self.calls: list[conversation.ConversationInput] = []

    @property
    def supported_languages(self) -> str:
        """Return that every language works."""
        return "*"

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        """Answer with the text, in a conversation of its own."""
        self.calls.append(user_input)
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech(f"You said: {user_input.text}")
        return conversation.ConversationResult(
            response=response,
            conversation_id=user_input.conversation_id or "conversation-1",
        )


@pytest.fixture
async def agent(hass: HomeAssistant) -> tuple[str, EchoAgent]:
    """Register the echo agent and return its id."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    agent_entry = MockConfigEntry(domain="test")
    agent_entry.add_to_hass(hass)
    echo = EchoAgent()
    conversation.async_set_agent(hass, agent_entry, echo)
    return agent_entry.entry_id, echo


@pytest.fixture
def assist_options(agent: tuple[str, EchoAgent]) -> dict[str, Any]:
    """Return options that turn Assist mode on for one allowed sender."""
    return {
        CONF_ASSIST: True,
        CONF_ASSIST_AGENT: agent[0],
        CONF_ASSIST_MARK_READ: True,
        CONF_ALLOWED_SENDERS: [CONTACT],
    }


@pytest.fixture
async def assist_entry(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_sendblue_client: AsyncMock,
    external_url: str,
    assist_options: dict[str, Any],
) -> MockConfigEntry:
    """Set up an entry with Assist mode on."""
    mock_sendblue_client.send_message.return_value = Message.from_dict(
        load_json("webhook_status_sent.json")
    )
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options=assist_options)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return mock_config_entry


async def text(client: TestClient, handle: str, content: str, **fields: Any) -> None:  # noqa: ANN401
    """Deliver an inbound text through the webhook."""
    body = {
        **load_json("webhook_message_received.json"),
        "message_handle": handle,
        "content": content,
        **fields,
    }
    response = await client.post(
        f"/api/webhook/{WEBHOOK_ID}",
        json=body,
        headers={"sb-signing-secret": WEBHOOK_SECRET},
    )
    assert response.status == 200


@pytest.mark.usefixtures("assist_entry")
async def test_assist_answers_allowed_sender(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    mock_sendblue_client: AsyncMock,
    agent: tuple[str, EchoAgent],
) -> None:
    """A text is read, typing shows, the agent answers on the same line."""
    client = await hass_client_no_auth()
    await text(client, "H1", "Turn on the porch light")
    await hass.async_block_till_done(wait_background_tasks=True)

    mock_sendblue_client.mark_read.assert_awaited_once_with(
        number=CONTACT, from_number=LINE_1
    )
    assert mock_sendblue_client.send_typing_indicator.await_args.kwargs["number"] == (
        CONTACT
    )
    mock_sendblue_client.send_message.assert_awaited_once()
    kwargs = mock_sendblue_client.send_message.await_args.kwargs
    assert kwargs["number"] == CONTACT
    assert kwargs["from_number"] == LINE_1
    assert kwargs["content"] == "You said: Turn on the porch light"

    # A follow-up continues the same conversation.
    await text(client, "H2", "And the garden")
    await hass.async_block_till_done(wait_background_tasks=True)
    calls = agent[1].calls
    assert [call.conversation_id for call in calls] == [None, "conversation-1"]


@pytest.mark.usefixtures("assist_entry")
async def test_assist_ignores_others(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    mock_sendblue_client: AsyncMock,
    agent: tuple[str, EchoAgent],
) -> None:
    """Strangers, group chats and media-only texts never reach the agent."""
    client = await hass_client_no_auth()
    await text(client, "S1", "unlock the door", from_number=STRANGER)
    await text(client, "G1", "hi all", message_type="group", group_id="g1")
    await text(client, "M1", "", media_url="https://cdn.example.com/a.jpg")
    await hass.async_block_till_done(wait_background_tasks=True)

    assert agent[1].calls == []
    mock_sendblue_client.send_message.assert_not_called()


@pytest.mark.usefixtures("assist_entry")
@pytest.mark.parametrize(
    "assist_options",
    [
        {
            CONF_ASSIST: True,
            CONF_ASSIST_MARK_READ: False,
            CONF_ALLOWED_SENDERS: [CONTACT],
        }
    ],
)
async def test_assist_default_agent_and_best_effort_typing(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    mock_sendblue_client: AsyncMock,
) -> None:
    """Home Assistant's own agent answers; typing errors do not stop the reply."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    mock_sendblue_client.send_typing_indicator.side_effect = SendblueValidationError(
        "No route mapping found for number, have you messaged them before?"
    )
    client = await hass_client_no_auth()
    await text(client, "H1", "blorp the flux capacitor")
    await hass.async_block_till_done(wait_background_tasks=True)

    mock_sendblue_client.mark_read.assert_not_called()
    mock_sendblue_client.send_message.assert_awaited_once()
    assert mock_sendblue_client.send_message.await_args.kwargs["content"]


@pytest.mark.usefixtures("assist_entry")
async def test_assist_send_failure_logged(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    mock_sendblue_client: AsyncMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A reply that cannot be sent is logged, not raised into the webhook."""
    mock_sendblue_client.send_message.side_effect = SendblueValidationError("nope")
    client = await hass_client_no_auth()
    await text(client, "H1", "hello")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "Could not send the Assist answer" in caplog.text


@pytest.mark.usefixtures("assist_entry")
async def test_assist_ignores_sms_by_default(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    mock_sendblue_client: AsyncMock,
    agent: tuple[str, EchoAgent],
) -> None:
    """An SMS or RCS sender can be forged: by default only iMessage is answered."""
    client = await hass_client_no_auth()
    await text(client, "S1", "unlock the door", service="SMS")
    await text(client, "R1", "unlock the door", service="RCS")
    await hass.async_block_till_done(wait_background_tasks=True)

    assert agent[1].calls == []
    mock_sendblue_client.send_message.assert_not_called()
    diagnostics = hass.config_entries.async_entries("sendblue")[0].runtime_data.assist
    assert diagnostics is not None
    assert diagnostics.diagnostics()["services"] == ["iMessage"]


@pytest.mark.usefixtures("assist_entry")
@pytest.mark.parametrize(
    "assist_options",
    [
        {
            CONF_ASSIST: True,
            CONF_ASSIST_MARK_READ: False,
            CONF_ASSIST_SMS: True,
            CONF_ALLOWED_SENDERS: [CONTACT],
        }
    ],
)
async def test_assist_answers_sms_when_allowed(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    mock_sendblue_client: AsyncMock,
) -> None:
    """With the option on, an allowed sender's SMS is answered too."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    client = await hass_client_no_auth()
    await text(client, "S1", "what time is it", service="SMS")
    await hass.async_block_till_done(wait_background_tasks=True)
    mock_sendblue_client.send_message.assert_awaited_once()


@pytest.mark.usefixtures("assist_entry")
@pytest.mark.parametrize(
    "assist_options",
    [
        {
            CONF_ASSIST: True,
            CONF_ASSIST_AGENT: "conversation.removed_agent",
            CONF_ALLOWED_SENDERS: [CONTACT],
        }
    ],
)
async def test_assist_agent_gone(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    mock_sendblue_client: AsyncMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An agent that was removed leaves the text unanswered, with a warning."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    client = await hass_client_no_auth()
    await text(client, "H1", "hello")
    await hass.async_block_till_done(wait_background_tasks=True)
    mock_sendblue_client.send_message.assert_not_called()
    assert "Assist could not answer a text" in caplog.text
