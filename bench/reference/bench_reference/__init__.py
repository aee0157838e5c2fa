"""The ingest benchmark's helpers inside Home Assistant: a bare webhook and counters.

Loaded into the same Home Assistant process as the Sendblue integration, so every
webhook the benchmark compares shares the HTTP stack, the event loop and the core.

- A bare webhook (parse JSON, fire an event, 200): the floor for any handler.
- A count of the routines the benchmark's automations completed: each fires
  ROUTINE_DONE with its route when its action ran.
- The time the cyclic garbage collector takes: what a handler allocates costs
  collections later, which a profile blames on whatever code runs then.
- A probe that times the pieces of a text's way through Home Assistant, on request
  (probe.py).
- A view that reports the counts, that time and where the integrations were loaded
  from, so the benchmark can check that it measures what it thinks it measures.
"""

from __future__ import annotations

import gc
import sys
from collections import Counter
from http import HTTPStatus
from time import perf_counter
from typing import Any

from aiohttp.hdrs import METH_POST
from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.helpers.typing import ConfigType
from homeassistant.util.json import json_loads

from .probe import Probe

DOMAIN = "bench_reference"
WEBHOOK_ID = "bench_reference"
EVENT = "bench_reference_received"
ROUTINE_DONE = "bench_routine_done"
BARE = "bare"
# Where these modules came from: a PYTHONPATH can shadow config/custom_components.
MODULES = {DOMAIN: __name__, "sendblue": "custom_components.sendblue"}

CONFIG_SCHEMA = cv.empty_config_schema(DOMAIN)


class CollectorClock:
    """Time the cyclic garbage collector spends, and how often it runs."""

    def __init__(self) -> None:
        """Start at zero."""
        self.seconds = 0.0
        self.collections = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:  # noqa: ARG002
        """Record one phase of a collection (gc.callbacks)."""
        if phase == "start":
            self._started = perf_counter()
        else:
            self.seconds += perf_counter() - self._started
            self.collections += 1


class CountsView(HomeAssistantView):
    """Report the counts and the files the integrations were loaded from."""

    url = "/api/bench_reference"
    name = "api:bench_reference"

    def __init__(self, counts: Counter[str], collector: CollectorClock) -> None:
        """Report these counts and the collector's time."""
        self.counts = counts
        self.collector = collector

    async def get(self, request: Request) -> Response:  # noqa: ARG002
        """Return the counts by route and the integrations' files."""
        files = {
            domain: module.__file__
            for domain, name in MODULES.items()
            if (module := sys.modules.get(name)) is not None
        }
        return self.json(
            {
                "counts": dict(self.counts),
                "files": files,
                "gc": {
                    "seconds": self.collector.seconds,
                    "collections": self.collector.collections,
                },
            }
        )


class ProbeView(HomeAssistantView):
    """Turn the probe on (timings start from zero) or off; report its timings."""

    url = "/api/bench_reference/probe"
    name = "api:bench_reference:probe"

    def __init__(self, probe: Probe) -> None:
        """Drive this probe."""
        self.probe = probe

    async def get(self, request: Request) -> Response:  # noqa: ARG002
        """Return calls and seconds by timed piece."""
        return self.json(self.probe.report())

    async def post(self, request: Request) -> Response:
        """Start the probe with {"on": true}, stop it with {"on": false}."""
        if (await request.json())["on"]:
            self.probe.start()
        else:
            self.probe.stop()
        return self.json(self.probe.report())


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Register the bare webhook, the routine counter and the view."""
    counts: Counter[str] = Counter()

    async def handle(
        hass: HomeAssistant,
        webhook_id: str,  # noqa: ARG001
        request: Request,
    ) -> Response:
        """Parse the body as JSON, fire it as an event, answer 200."""
        hass.bus.async_fire(EVENT, {"payload": json_loads(await request.read())})
        counts[BARE] += 1
        return Response(status=HTTPStatus.OK)

    @callback
    def routine_done(event: Event) -> None:
        """Count a routine of the benchmark's automations."""
        counts[event.data["route"]] += 1

    webhook.async_register(
        hass,
        DOMAIN,
        "Benchmark reference",
        WEBHOOK_ID,
        handle,
        local_only=False,
        allowed_methods=[METH_POST],
    )
    hass.bus.async_listen(ROUTINE_DONE, routine_done)
    collector = CollectorClock()
    gc.callbacks.append(collector)
    hass.http.register_view(CountsView(counts, collector))
    hass.http.register_view(ProbeView(Probe()))
    return True
