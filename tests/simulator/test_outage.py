"""Outages: the API port refuses connections, then listens again on the same port."""

from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from sendblue_simulator import ManualClock, Simulator, start_simulator
from sendblue_simulator.models import iso

from .conftest import refused
from .sse import open_stream

pytestmark = pytest.mark.usefixtures("socket_enabled")

LINE_1 = "+15125550101"
CONTACT = "+15550000002"


async def send(api: aiohttp.ClientSession) -> dict[str, Any]:
    """Send one message and return the answer."""
    body = {"number": CONTACT, "from_number": LINE_1, "content": "x"}
    async with api.post("/api/send-message", json=body) as resp:
        assert resp.status == 200
        answer: dict[str, Any] = await resp.json()
        return answer


async def test_stop_and_start_listening_keep_port_and_state(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Connections are refused meanwhile; the same port comes back, state intact."""
    control = sendblue_simulator.control
    sent = await send(api)
    port, now = sendblue_simulator.port, control.now()
    async with open_stream(api) as stream:
        await sendblue_simulator.stop_listening()
        # Cut, not ended: the stream's last chunk never comes.
        with pytest.raises(aiohttp.ClientPayloadError):
            await stream.frame()
    assert control.events()["open_streams"] == 0
    assert not sendblue_simulator.listening
    assert await refused(f"{sendblue_simulator.base_url}/api/lines")
    assert control.state()["server"] == {"listening": False, "outage_until": None}
    await sendblue_simulator.stop_listening()
    await sendblue_simulator.start_listening()
    await sendblue_simulator.start_listening()
    assert (sendblue_simulator.port, control.now()) == (port, now)
    async with api.get(f"/api/v2/messages/{sent['message_handle']}") as resp:
        assert resp.status == 200
    assert control.state()["server"]["listening"]


async def test_outage_follows_the_manual_clock(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Down for 120 s of simulated time, then up again by itself."""
    control = sendblue_simulator.control
    url = f"{sendblue_simulator.base_url}/api/lines"
    server = await control.outage(120)
    end = ManualClock().now() + timedelta(seconds=120)
    assert server == {"listening": False, "outage_until": iso(end)}
    await control.advance(119.5)
    assert await refused(url)
    assert control.server()["outage_until"] == iso(end)
    await control.advance(0.5)
    assert not await refused(url)
    assert control.server() == {"listening": True, "outage_until": None}
    assert len(control.messages()) == 0
    await send(api)


async def test_outage_over_http_on_the_shared_port(
    raw_http: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """The answer comes first; then the port, control API included, is refused."""
    async with raw_http.post("/_sim/outage", json={"seconds": 60}) as resp:
        assert resp.status == 200
        assert (await resp.json())["listening"] is False
    assert await refused(f"{sendblue_simulator.base_url}/_sim/state")
    await sendblue_simulator.control.advance(60)
    async with raw_http.get("/_sim/state/server") as resp:
        assert await resp.json() == {"listening": True, "outage_until": None}


async def test_outage_with_a_control_port() -> None:
    """A control port answers during the outage and can end it."""
    async with (
        start_simulator(clock=ManualClock(), control_port=0) as sim,
        aiohttp.ClientSession(base_url=sim.control_url) as control,
    ):
        assert sim.control_port != sim.port
        api_url = f"{sim.base_url}/api/lines"
        async with control.post("/_sim/outage", json={"seconds": 120}) as resp:
            assert (await resp.json())["listening"] is False
        assert await refused(api_url)
        async with control.get("/_sim/state/server") as resp:
            assert (await resp.json())["listening"] is False
        async with control.post("/_sim/advance", json={"seconds": 120}) as resp:
            assert resp.status == 200
        assert not await refused(api_url)
        async with control.post("/_sim/outage", json={"seconds": 120}) as resp:
            assert resp.status == 200
        assert await refused(api_url)
        async with control.delete("/_sim/outage") as resp:
            assert (await resp.json())["listening"] is True
        assert not await refused(api_url)
        async with control.get("/api/lines") as resp:
            assert resp.status == 404
        async with control.post("/_sim/outage", json={"seconds": 0}) as resp:
            assert resp.status == 400


async def test_a_later_outage_replaces_the_end(
    sendblue_simulator: Simulator,
) -> None:
    """A second outage moves the end; reset does not lose it."""
    control = sendblue_simulator.control
    url = f"{sendblue_simulator.base_url}/api/lines"
    await control.outage(10)
    await control.outage(30)
    control.reset()
    await control.advance(10)
    assert await refused(url)
    await control.advance(20)
    assert not await refused(url)
    with pytest.raises(ValueError, match="positive"):
        await control.outage(0)


async def test_timed_work_goes_on_during_an_outage(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Sendblue keeps delivering what it accepted; only the API is unreachable."""
    control = sendblue_simulator.control
    control.set_latency(1000)
    sent = await send(api)
    await control.outage(5)
    await control.advance(2)
    assert control.message(sent["message_handle"])["status"] == "DELIVERED"
