"""The ingest benchmark's bare reference: a webhook that parses JSON and fires an event.

Loaded into the same Home Assistant process as the Sendblue integration, so both
webhooks share the HTTP stack, the event loop and the core; the difference between
them is what the Sendblue handler adds.
"""

from __future__ import annotations

from http import HTTPStatus

from aiohttp.hdrs import METH_POST
from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType
from homeassistant.util.json import json_loads

DOMAIN = "bench_reference"
WEBHOOK_ID = "bench_reference"
EVENT = "bench_reference_received"

CONFIG_SCHEMA = cv.empty_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Register the reference webhook."""

    async def handle(
        hass: HomeAssistant,
        webhook_id: str,  # noqa: ARG001
        request: Request,
    ) -> Response:
        """Parse the body as JSON, fire it as an event, answer 200."""
        hass.bus.async_fire(EVENT, {"payload": json_loads(await request.read())})
        return Response(status=HTTPStatus.OK)

    webhook.async_register(
        hass,
        DOMAIN,
        "Benchmark reference",
        WEBHOOK_ID,
        handle,
        local_only=False,
        allowed_methods=[METH_POST],
    )
    return True
