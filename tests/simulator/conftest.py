"""Fixtures for the Sendblue simulator tests (sendblue_simulator is meant for reuse)."""

from collections.abc import AsyncIterator

import aiohttp
import pytest

from sendblue_simulator import (
    Simulator,
    WebhookReceiver,
    start_webhook_receiver,
)

SEED = 1234


@pytest.fixture
async def webhook_receiver(socket_enabled: None) -> AsyncIterator[WebhookReceiver]:
    """Run a local server that records the webhooks it receives."""
    async with start_webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
async def api(
    sendblue_simulator: Simulator,
) -> AsyncIterator[aiohttp.ClientSession]:
    """Return a session that talks to the simulator with valid credentials."""
    headers = {
        "sb-api-key-id": sendblue_simulator.api_key_id,
        "sb-api-secret-key": sendblue_simulator.api_secret_key,
    }
    async with aiohttp.ClientSession(
        base_url=sendblue_simulator.base_url, headers=headers
    ) as session:
        yield session


@pytest.fixture
async def raw_http(
    sendblue_simulator: Simulator,
) -> AsyncIterator[aiohttp.ClientSession]:
    """Return a session without credentials (control API, media, auth tests)."""
    async with aiohttp.ClientSession(base_url=sendblue_simulator.base_url) as session:
        yield session


async def refused(url: str) -> bool:
    """Tell whether connecting to url is refused (a fresh connection, no pool)."""
    async with aiohttp.ClientSession() as session:
        try:
            async with session.get(url) as resp:
                await resp.read()
        except aiohttp.ClientConnectorError as err:
            return isinstance(err.os_error, ConnectionRefusedError)
    return False
