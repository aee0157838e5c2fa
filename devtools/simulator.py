"""The Sendblue simulator's control API (/_sim/), and an account on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from .common import DevToolsError, JsonObject, wait_until
from .integration import WEBHOOK_TYPES


@dataclass(frozen=True)
class SimulatorAccount:
    """What the config flow needs to reach a simulator."""

    base_url: str
    api_key_id: str = "sim-key-id"
    api_secret_key: str = "sim-secret-key"  # noqa: S105 -- the simulator's documented default


class SimulatorClient:
    """The simulator's control API (/_sim/)."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        """Use a session for a simulator at base_url."""
        self.session = session
        self.base_url = base_url.rstrip("/")

    async def state(self, section: str) -> Any:  # noqa: ANN401 -- any section's JSON
        """Return one section of GET /_sim/state."""
        async with self.session.get(f"{self.base_url}/_sim/state/{section}") as resp:
            resp.raise_for_status()
            return await resp.json()

    async def wait_up(self, within: float = 30.0) -> None:
        """Wait until the simulator answers."""

        async def probe() -> bool | None:
            async with self.session.get(f"{self.base_url}/_sim/state/settings") as r:
                return True if r.status == 200 else None  # noqa: PLR2004

        await wait_until(probe, within=within, what="Sendblue simulator up")

    async def inbound(self, **fields: Any) -> JsonObject:  # noqa: ANN401
        """Make a contact text one of the lines; return the stored message."""
        async with self.session.post(
            f"{self.base_url}/_sim/inbound", json=fields
        ) as resp:
            if resp.status != 200:  # noqa: PLR2004
                msg = f"inject failed: {resp.status} {await resp.text()}"
                raise DevToolsError(msg)
            result: JsonObject = await resp.json()
            return result

    async def add_fault(self, **rule: Any) -> JsonObject:  # noqa: ANN401
        """Fault requests as POST /_sim/faults describes (kind, count, after...)."""
        async with self.session.post(f"{self.base_url}/_sim/faults", json=rule) as r:
            r.raise_for_status()
            result: JsonObject = await r.json()
            return result

    async def clear_faults(self) -> None:
        """Drop every fault rule."""
        async with self.session.delete(f"{self.base_url}/_sim/faults") as r:
            r.raise_for_status()

    async def webhooks_for(self, url: str) -> dict[str, list[JsonObject]]:
        """Return the registrations of a URL, by webhook type."""
        webhooks: JsonObject = await self.state("webhooks")
        return {
            kind: [
                entry
                for entry in webhooks.get(kind, [])
                if isinstance(entry, dict) and entry.get("url") == url
            ]
            for kind in WEBHOOK_TYPES
        }
