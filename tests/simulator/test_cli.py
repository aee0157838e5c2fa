"""`python -m sendblue_simulator` as a subprocess."""

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from sendblue_simulator.cli import parse_args

from .conftest import refused
from .sse import open_stream

pytestmark = pytest.mark.usefixtures("socket_enabled")

ROOT = Path(__file__).resolve().parents[2]


async def start_cli(*args: str) -> asyncio.subprocess.Process:
    """Start `python -m sendblue_simulator` with args."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sendblue_simulator",
        *args,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def read_banner(process: asyncio.subprocess.Process) -> list[str]:
    """Return the five lines the CLI prints once it listens."""
    assert process.stdout is not None
    async with asyncio.timeout(20):
        return [(await process.stdout.readline()).decode() for _ in range(5)]


async def interrupt(process: asyncio.subprocess.Process) -> bytes:
    """Stop the CLI with Ctrl-C and return the rest of its output."""
    process.send_signal(signal.SIGINT)
    async with asyncio.timeout(10):
        stdout, _ = await process.communicate()
    assert process.returncode == 0
    return stdout


async def test_cli_serves_until_interrupted() -> None:
    """The CLI prints URL and credentials, serves the API, and stops on Ctrl-C."""
    process = await start_cli(
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--api-key-id",
        "cli-key",
        "--api-secret-key",
        "cli-secret",
        "--latency-ms",
        "5",
        "--seed",
        "3",
        "--lines",
        "+14155550100",
        "+14155550102",
    )
    try:
        banner = await read_banner(process)
        match = re.match(
            r"Sendblue simulator listening on (http://127\.0\.0\.1:\d+)\n", banner[0]
        )
        assert match, banner
        assert banner[1:4] == [
            "sb-api-key-id: cli-key\n",
            "sb-api-secret-key: cli-secret\n",
            "lines: +14155550100 +14155550102\n",
        ]
        headers = {"sb-api-key-id": "cli-key", "sb-api-secret-key": "cli-secret"}
        async with (
            aiohttp.ClientSession(base_url=match.group(1), headers=headers) as api,
            api.get("/api/lines") as resp,
        ):
            assert await resp.json() == {"numbers": ["+14155550100", "+14155550102"]}
        assert (await interrupt(process)).decode() == "Sendblue simulator stopped\n"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_cli_outage_with_a_control_port() -> None:
    """A real process: "Sendblue down, then back" with refused connections."""
    process = await start_cli(
        "--port", "0", "--control-port", "0", "--event-heartbeat-seconds", "0.05"
    )
    try:
        banner = await read_banner(process)
        api_url = banner[0].removeprefix("Sendblue simulator listening on ").strip()
        control_url = banner[4].removeprefix("control API: ").strip()
        control_url = control_url.removesuffix("/_sim/state")
        assert control_url != api_url
        headers = {"sb-api-key-id": "sim-key-id", "sb-api-secret-key": "sim-secret-key"}
        async with (
            aiohttp.ClientSession(base_url=api_url, headers=headers) as api,
            aiohttp.ClientSession(base_url=control_url) as control,
        ):
            async with open_stream(api) as stream:
                heartbeat = await stream.frame()
                assert heartbeat is not None
                assert heartbeat.is_heartbeat
                async with control.post("/_sim/outage", json={"seconds": 120}) as resp:
                    assert (await resp.json())["listening"] is False
                with pytest.raises(aiohttp.ClientPayloadError):
                    await stream.end()
            assert await refused(f"{api_url}/api/lines")
            # Real time: advancing the clock past the end brings the port back.
            async with control.post("/_sim/advance", json={"seconds": 120}) as resp:
                assert resp.status == 200
            async with api.get("/api/lines") as resp:
                assert resp.status == 200
        await interrupt(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_parse_args_defaults_and_validation() -> None:
    """Defaults match the documented ones; lines must be E.164."""
    config = parse_args([])
    assert (config.host, config.port, config.api_key_id, config.api_secret_key) == (
        "127.0.0.1",
        8787,
        "sim-key-id",
        "sim-secret-key",
    )
    assert config.lines == ("+15125550101", "+15125550102")
    assert config.latency_ms == 0
    assert config.seed is None
    assert config.control_port is None
    assert (config.event_heartbeat_s, config.event_rotate_s) == (15, 900)
    assert config.event_data_shape == "minimal"
    with pytest.raises(SystemExit):
        parse_args(["--lines", "5125550101"])
    with pytest.raises(SystemExit):
        parse_args(["--event-heartbeat-seconds", "0"])
    with pytest.raises(SystemExit):
        parse_args(["--event-rotate-seconds", "soon"])
    assert parse_args(["--event-data-shape", "full"]).event_data_shape == "full"
