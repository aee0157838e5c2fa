"""The Simulator: state, clock, scheduler, delivery worker and HTTP server together."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiohttp import web

from .app import build_app, build_control_app
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
        self.control = SimulatorControl(self.state, listener=self)
        self.app = build_app(self.state, self.control)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._port: int | None = None
        self._control_runner: web.AppRunner | None = None
        self._control_port: int | None = None

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
        """Return the API port (kept through an outage)."""
        if self._port is None:
            msg = "simulator not started"
            raise RuntimeError(msg)
        return self._port

    @property
    def control_port(self) -> int:
        """Return the port of the control API (the API port unless one was given)."""
        return self._control_port if self._control_port is not None else self.port

    @property
    def base_url(self) -> str:
        """Return the URL to give a Sendblue client as its base URL."""
        return self._url(self.port)

    @property
    def control_url(self) -> str:
        """Return the base URL of the /_sim/ control API."""
        return self._url(self.control_port)

    @property
    def listening(self) -> bool:
        """Tell whether the API port accepts connections."""
        return self._site is not None

    def _url(self, port: int) -> str:
        """Return the http URL of port on the configured host."""
        host = self.config.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

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
        self._site, self._port = await self._listen(self._runner, self.config.port)
        if self.config.control_port is not None:
            self._control_runner = web.AppRunner(
                build_control_app(self.state, self.control),
                shutdown_timeout=SHUTDOWN_TIMEOUT_S,
                access_log=None,
            )
            await self._control_runner.setup()
            _, self._control_port = await self._listen(
                self._control_runner, self.config.control_port
            )

    async def _listen(
        self, runner: web.AppRunner, port: int
    ) -> tuple[web.TCPSite, int]:
        """Serve runner's app on port (0: a free one); return the site and its port."""
        site = web.TCPSite(runner, self.config.host, port)
        await site.start()
        return site, int(runner.addresses[0][1])

    async def stop_listening(self, *, keep: object | None = None) -> None:
        """Refuse connections on the API port and close the open ones (but keep)."""
        site, self._site = self._site, None
        if site is None or self._runner is None:
            return
        # Closing the listening socket first: from here on, connecting is refused.
        await site.stop()
        self.state.events.drop()
        server = self._runner.server
        for connection in server.connections if server is not None else ():
            if connection is not keep:
                connection.force_close()

    async def start_listening(self) -> None:
        """Accept connections on the same API port again (state is untouched)."""
        if self._site is not None or self._runner is None:
            return
        self._site, _ = await self._listen(self._runner, self.port)

    async def stop(self) -> None:
        """Stop serving and cancel background work."""
        await self.control.close()
        # Open streams would hold the shutdown for its whole timeout.
        self.state.events.drop()
        for runner in (self._control_runner, self._runner):
            if runner is not None:
                await runner.cleanup()
        self._runner = self._control_runner = self._site = None
        await self.scheduler.stop()
        await self.state.dispatcher.stop()
