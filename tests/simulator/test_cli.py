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

pytestmark = pytest.mark.usefixtures("socket_enabled")

ROOT = Path(__file__).resolve().parents[2]


async def test_cli_serves_until_interrupted() -> None:
    """The CLI prints URL and credentials, serves the API, and stops on Ctrl-C."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sendblue_simulator",
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
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(20):
            banner = [(await process.stdout.readline()).decode() for _ in range(5)]
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
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(10):
            stdout, _ = await process.communicate()
        assert process.returncode == 0
        assert stdout.decode() == "Sendblue simulator stopped\n"
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
    assert (config.event_heartbeat_s, config.event_rotate_s) == (15, 900)
    assert config.event_data_shape == "minimal"
    with pytest.raises(SystemExit):
        parse_args(["--lines", "5125550101"])
    with pytest.raises(SystemExit):
        parse_args(["--event-heartbeat-seconds", "0"])
    with pytest.raises(SystemExit):
        parse_args(["--event-rotate-seconds", "soon"])
    assert parse_args(["--event-data-shape", "full"]).event_data_shape == "full"
