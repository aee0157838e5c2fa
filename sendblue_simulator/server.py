"""The Simulator: state, clock, scheduler, delivery worker and HTTP server together."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiohttp import web

from .app import build_app
from .clock import Clock, RealClock, Scheduler
from .control import SimulatorControl
from .state import SimulatorConfig, SimulatorState

SHUTDOWN_TIMEOUT_S = 1.0


class Simulator:
    """A running (or startable) Sendblue API simulator."""

    def __init__(
        self, config: SimulatorConfig | None = None, *, clock: Clock | None = None
    ) -> None:
        """Prepare a simulator; call start() to listen."""
        self.config = config or SimulatorConfig()
        self.clock: Clock = clock or RealClock()
        self.scheduler = Scheduler(self.clock)
        self.state = SimulatorState(self.config, self.clock, self.scheduler)
        self.control = SimulatorControl(self.state)
        self.app = build_app(self.state, self.control)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @classmethod
    def from_options(
        cls,
        *,
        clock: Clock | None = None,
        **options: Any,  # noqa: ANN401 -- SimulatorConfig fields
    ) -> Simulator:
        """Build from SimulatorConfig keyword options."""
        if "lines" in options:
            options["lines"] = tuple(options["lines"])
        return cls(replace(SimulatorConfig(), **options), clock=clock)

    @property
    def api_key_id(self) -> str:
        """Return the accepted sb-api-key-id."""
        return self.config.api_key_id

    @property
    def api_secret_key(self) -> str:
        """Return the accepted sb-api-secret-key."""
        return self.config.api_secret_key

    @property
    def lines(self) -> list[str]:
        """Return the account's lines."""
        return list(self.state.lines)

    @property
    def port(self) -> int:
        """Return the bound port."""
        if self._port is None:
            msg = "simulator not started"
            raise RuntimeError(msg)
        return self._port

    @property
    def base_url(self) -> str:
        """Return the URL to give a Sendblue client as its base URL."""
        host = self.config.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    async def start(self) -> None:
        """Start the delivery worker, the scheduler and the HTTP server."""
        await self.state.dispatcher.start()
        self.scheduler.start()
        # Cancelling a handler whose client left is how a stream notices it;
        # finish_middleware shields every other request from it.
        self._runner = web.AppRunner(
            self.app,
            shutdown_timeout=SHUTDOWN_TIMEOUT_S,
            access_log=None,
            handler_cancellation=True,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving and cancel background work."""
        # Open streams would hold the shutdown for its whole timeout.
        self.state.events.drop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.scheduler.stop()
        await self.state.dispatcher.stop()
