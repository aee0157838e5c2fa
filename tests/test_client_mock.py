"""The mocked client holds tests to the real client's interface, as autospec does."""

from unittest.mock import call

import pytest

from custom_components.sendblue.api import SendblueClient

from .conftest import ClientMock


async def test_calls_are_checked_against_the_signature() -> None:
    """A call the real method would refuse raises, before anything is recorded."""
    client = ClientMock()
    with pytest.raises(TypeError):
        await client.send_message("+15550001111", content="hi")  # keyword-only
    with pytest.raises(TypeError):
        await client.send_message(content="hi")  # no number
    with pytest.raises(TypeError):
        await client.send_message(number="+15550001111", colour="red")
    assert client.mock_calls == []


async def test_calls_are_recorded_on_the_client() -> None:
    """Awaited calls count per method and show in the client's mock_calls."""
    client = ClientMock()
    client.get_account.return_value = "account"
    assert await client.get_account() == "account"
    await client.send_message(number="+15550001111", content="hi")
    client.get_account.assert_awaited_once_with()
    assert client.mock_calls == [
        call.get_account(),
        call.send_message(number="+15550001111", content="hi"),
    ]
    client.reset_mock()
    assert client.mock_calls == []
    assert client.get_account.await_count == 0


def test_only_the_clients_attributes_exist() -> None:
    """A name the client does not have is an AttributeError, as with a spec."""
    client = ClientMock()
    with pytest.raises(AttributeError):
        _ = client.send_messages
    assert isinstance(client, SendblueClient)
