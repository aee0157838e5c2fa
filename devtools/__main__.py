"""Command line for scripts/develop and scripts/screenshots: python -m devtools ...."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from .common import DevToolsError, JsonObject
from .config_dir import prepare_config_dir
from .integration import SUBENTRY_RECIPIENT
from .processes import port_is_free
from .rest import DEMO_USER, HomeAssistantClient, Recipient, User
from .simulator import SimulatorAccount, SimulatorClient

# The demo's saved recipient: a contact of the first simulator line.
DEMO_RECIPIENT = Recipient(name="Alex", target="+15125550199", line="+15125550101")


async def configure_demo(
    ha: HomeAssistantClient,
    simulator: SimulatorClient,
    *,
    user: User = DEMO_USER,
    recipient: Recipient,
    within: float = 120.0,
) -> JsonObject:
    """Sign in; make sure one Sendblue entry with a recipient uses the simulator."""
    # Idempotent: a second run keeps the entry and only points it at the simulator.
    await simulator.wait_up(within)
    await ha.wait_up(within)
    await ha.sign_in(user)
    await ha.wait_running(within)
    account = SimulatorAccount(base_url=simulator.base_url)
    entries = await ha.entries()
    if entries:
        entry = entries[0]
        await ha.reconfigure_sendblue_entry(entry["entry_id"], account)
    else:
        entry = await ha.add_sendblue_entry(account)
    entry_id = entry["entry_id"]
    await ha.wait_entry_state(entry_id, "loaded", within)
    async with ha.websocket() as ws:
        subentries = await ws.command(
            "config_entries/subentries/list", entry_id=entry_id
        )
    if not any(sub["subentry_type"] == SUBENTRY_RECIPIENT for sub in subentries):
        await ha.add_recipient(entry_id, recipient)
        await ha.wait_recipient_entity(entry_id, recipient.name, within)
    return await ha.wait_entry_state(entry_id, "loaded", within)


def _check_ports(args: argparse.Namespace) -> int:
    """Exit 1 naming the first busy port."""
    for name, port in zip(args.names, args.ports, strict=True):
        if not port_is_free(port):
            sys.stderr.write(
                f"port {port} ({name}) is busy: stop what uses it or pick another"
                f" with {name}=PORT\n"
            )
            return 1
    return 0


def _prepare(args: argparse.Namespace) -> int:
    """Lay out the config directory."""
    prepare_config_dir(args.config, port=args.port)
    return 0


async def _configure(args: argparse.Namespace) -> int:
    """Onboard the demo user and set the integration up against the simulator."""
    async with aiohttp.ClientSession() as session:
        ha = HomeAssistantClient(session, args.ha_url)
        simulator = SimulatorClient(session, args.sim_url)
        entry = await configure_demo(
            ha, simulator, recipient=DEMO_RECIPIENT, within=args.timeout
        )
        sys.stdout.write(f"Sendblue entry {entry['title']!r} is {entry['state']}\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(prog="python -m devtools", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    ports = commands.add_parser("check-ports", help="fail if a port is busy")
    ports.add_argument("--names", nargs="+", required=True)
    ports.add_argument("--ports", nargs="+", type=int, required=True)

    prepare = commands.add_parser("prepare", help="lay out a config directory")
    prepare.add_argument("--config", type=Path, required=True)
    prepare.add_argument("--port", type=int, required=True)

    configure = commands.add_parser(
        "configure",
        help="onboard the demo user, set up Sendblue against the simulator",
    )
    configure.add_argument("--ha-url", required=True)
    configure.add_argument("--sim-url", required=True)
    configure.add_argument("--timeout", type=float, default=120.0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "check-ports":
            return _check_ports(args)
        if args.command == "prepare":
            return _prepare(args)
        return asyncio.run(_configure(args))
    except (DevToolsError, TimeoutError) as err:
        sys.stderr.write(f"devtools {args.command}: {err}\n")
        return 1
    except KeyboardInterrupt:
        # Ctrl-C in scripts/develop: its trap stops everything; no traceback here.
        return 130


if __name__ == "__main__":
    sys.exit(main())
