"""Command line: start a simulator, print its URL and credentials, stop on Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from .errors import is_e164
from .events import DataShape
from .server import Simulator
from .state import DEFAULT_LINES, SimulatorConfig


def _e164(value: str) -> str:
    """Argparse type for an E.164 line."""
    if not is_e164(value):
        msg = f"{value!r} is not an E.164 number (e.g. +15125550101)"
        raise argparse.ArgumentTypeError(msg)
    return value


def _positive(value: str) -> float:
    """Argparse type for a positive number of seconds."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        msg = f"{value!r} is not a positive number of seconds"
        raise argparse.ArgumentTypeError(msg)
    return seconds


def parse_args(argv: Sequence[str] | None = None) -> SimulatorConfig:
    """Turn command-line arguments into a SimulatorConfig."""
    defaults = SimulatorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m sendblue_simulator", description=__doc__
    )
    parser.add_argument(
        "--host", default=defaults.host, help="interface to bind (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8787, help="port (0 picks a free one)"
    )
    parser.add_argument("--api-key-id", default=defaults.api_key_id)
    parser.add_argument("--api-secret-key", default=defaults.api_secret_key)
    parser.add_argument(
        "--latency-ms", type=int, default=0, help="time between status steps"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="make ids and faults reproducible"
    )
    parser.add_argument(
        "--lines", nargs="+", type=_e164, default=list(DEFAULT_LINES), metavar="E164"
    )
    parser.add_argument("--account-email", default=defaults.account_email)
    parser.add_argument(
        "--public-url", default=None, help="base URL used in media_url links"
    )
    parser.add_argument(
        "--control-port",
        type=int,
        default=None,
        help="serve /_sim/ on this port too, so it answers during an outage"
        " (0 picks a free one; default: the API port only)",
    )
    parser.add_argument(
        "--event-heartbeat-seconds",
        type=_positive,
        default=defaults.event_heartbeat_s,
        help="event stream heartbeat interval (default 15)",
    )
    parser.add_argument(
        "--event-rotate-seconds",
        type=_positive,
        default=defaults.event_rotate_s,
        help="event stream lifetime before the server ends it (default 900)",
    )
    parser.add_argument(
        "--event-data-shape",
        choices=[str(shape) for shape in DataShape],
        default=defaults.event_data_shape,
        help="data of message events (default minimal)",
    )
    args = parser.parse_args(argv)
    return SimulatorConfig(
        host=args.host,
        port=args.port,
        api_key_id=args.api_key_id,
        api_secret_key=args.api_secret_key,
        latency_ms=args.latency_ms,
        seed=args.seed,
        lines=tuple(args.lines),
        account_email=args.account_email,
        public_url=args.public_url,
        control_port=args.control_port,
        event_heartbeat_s=args.event_heartbeat_seconds,
        event_rotate_s=args.event_rotate_seconds,
        event_data_shape=args.event_data_shape,
    )


async def serve(config: SimulatorConfig) -> None:
    """Run until SIGINT/SIGTERM."""
    simulator = Simulator(config)
    await simulator.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    sys.stdout.write(
        f"Sendblue simulator listening on {simulator.base_url}\n"
        f"sb-api-key-id: {simulator.api_key_id}\n"
        f"sb-api-secret-key: {simulator.api_secret_key}\n"
        f"lines: {' '.join(simulator.lines)}\n"
        f"control API: {simulator.control_url}/_sim/state\n"
    )
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await simulator.stop()
        sys.stdout.write("Sendblue simulator stopped\n")
        sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m sendblue_simulator`."""
    config = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config))
    return 0
