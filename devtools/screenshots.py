"""Screenshots of Home Assistant's own frontend for the README (scripts/screenshots).

Needs the `playwright` package on the path (scripts/screenshots installs it into a
temporary directory; it is no test requirement) and Debian's /usr/bin/chromium:
Playwright never downloads a browser here.

    python -m devtools.screenshots --ha-url URL --sim-url URL --config DIR --out DIR
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from playwright.async_api import (
    BrowserContext,
    Page,
    Route,
    ViewportSize,
    async_playwright,
)

from .common import JsonObject, wait_until
from .integration import DOMAIN
from .processes import LOOPBACK
from .rest import DEMO_USER, HomeAssistantClient
from .simulator import SimulatorClient

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
LINE_1 = "+15125550101"
CONTACT = "+15550000002"
# What the brands proxy may be asked for; see seed_brand_cache.
BRAND_IMAGES = (
    "icon.png",
    "logo.png",
    "icon@2x.png",
    "logo@2x.png",
    "dark_icon.png",
    "dark_logo.png",
    "dark_icon@2x.png",
    "dark_logo@2x.png",
)
SETTLE_MS = 1500


def seed_brand_cache(config_dir: Path, domains: Sequence[str]) -> None:
    """Mark brand images as missing in Home Assistant's brands cache."""
    # The brands proxy fetches icons of integrations without a brand/ folder from
    # Home Assistant's CDN; an empty cached file is its "not found" marker, so Home
    # Assistant stays on loopback too. Custom integrations' own images still win.
    cache = config_dir / ".cache" / "brands" / "integrations"
    for domain in (*domains, "_placeholder"):
        for image in BRAND_IMAGES:
            path = cache / domain / image
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"")


async def _loopback_only(route: Route) -> None:
    """Let the browser reach Home Assistant only, nothing on the internet."""
    if urlsplit(route.request.url).hostname in {LOOPBACK, "localhost"}:
        await route.continue_()
    else:
        await route.abort()


async def _settle(page: Page) -> None:
    """Wait for the page's requests to finish and its animations to end."""
    await page.wait_for_load_state("networkidle")
    # Dialogs and ripples animate in; a screenshot mid-animation looks broken.
    await page.wait_for_timeout(SETTLE_MS)


async def _log_in(page: Page, ha_url: str) -> None:
    """Log in through Home Assistant's login page."""
    await page.goto(f"{ha_url}/")
    await page.get_by_role("textbox", name="Username").fill(DEMO_USER.username)
    await page.get_by_role("textbox", name="Password").fill(DEMO_USER.password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(
        lambda url: "/auth/" not in url and "auth_callback" not in url
    )
    await _settle(page)


async def _config_flow(page: Page, ha_url: str, out: Path) -> None:
    """Shoot Add integration → Sendblue, with the Advanced section open."""
    await page.goto(f"{ha_url}/config/integrations/dashboard/add?domain={DOMAIN}")
    # The add link asks first, as My Home Assistant links do.
    await page.get_by_role("button", name="OK").click()
    await page.get_by_text("Connect your Sendblue account").wait_for()
    await page.get_by_text("Advanced", exact=True).click()
    await page.get_by_text("API address").first.wait_for()
    await _settle(page)
    await page.screenshot(path=out / "config_flow.png")


async def _integration(page: Page, ha_url: str, out: Path) -> None:
    """Shoot the integration's page: the account, its devices, the recipient."""
    await page.goto(f"{ha_url}/config/integrations/integration/{DOMAIN}")
    await page.get_by_text("demo@example.com").first.wait_for()
    await _settle(page)
    await page.screenshot(path=out / "integration.png")


async def _line_device(page: Page, ha_url: str, device_id: str, out: Path) -> None:
    """Shoot a line's device page: its status and activity sensors."""
    await page.goto(f"{ha_url}/config/devices/device/{device_id}")
    await page.get_by_text("Last received").first.wait_for()
    await _settle(page)
    await page.screenshot(path=out / "line_device.png")


async def _prepare_demo(ha: HomeAssistantClient, simulator: SimulatorClient) -> str:
    """Give the first line a text in and one out; return the line's device id."""
    await ha.login(DEMO_USER)
    received = await simulator.inbound(
        from_number=CONTACT, to_number=LINE_1, content="Is the garage door shut?"
    )
    await ha.call_service(
        DOMAIN,
        "send_message",
        {"to": [CONTACT], "message": "Yes, it shut at 18:04.", "from_number": LINE_1},
    )
    await ha.call_service(
        DOMAIN,
        "send_reaction",
        {"message_handle": received["message_handle"], "reaction": "like"},
    )
    [entry] = await ha.entries()
    identifier = [DOMAIN, f"{entry['entry_id']}_line_{LINE_1}"]
    async with ha.websocket() as ws:
        devices: list[JsonObject] = await ws.command("config/device_registry/list")
        device_id: str = next(
            device["id"] for device in devices if identifier in device["identifiers"]
        )
        entities: list[JsonObject] = await ws.command("config/entity_registry/list")
    activity = [
        entity["entity_id"]
        for entity in entities
        if entity["device_id"] == device_id
        and entity["entity_id"].endswith(("_last_sent", "_last_received"))
    ]

    async def activity_shown() -> bool | None:
        states = await ha.states()
        shown = all(
            states[e]["state"] not in {"unknown", "unavailable"} for e in activity
        )
        return True if activity and shown else None

    await wait_until(activity_shown, within=30, what="the line's activity sensors")
    return device_id


async def shoot(ha_url: str, sim_url: str, config_dir: Path, out: Path) -> None:
    """Take the three screenshots into out (an existing directory)."""
    async with aiohttp.ClientSession() as session:
        ha = HomeAssistantClient(session, ha_url)
        device_id = await _prepare_demo(ha, SimulatorClient(session, sim_url))
        components = (await ha.request("GET", "/api/config"))["components"]
    seed_brand_cache(config_dir, sorted({c.split(".")[0] for c in components}))
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        async with async_playwright() as playwright:
            context: BrowserContext = (
                await playwright.chromium.launch_persistent_context(
                    profile,
                    executable_path=CHROMIUM,
                    headless=True,
                    args=CHROMIUM_ARGS,
                    viewport=VIEWPORT,
                    color_scheme="light",
                    locale="en-US",
                )
            )
            try:
                await context.route("**/*", _loopback_only)
                page = context.pages[0] if context.pages else await context.new_page()
                await _log_in(page, ha_url)
                await _config_flow(page, ha_url, out)
                await _integration(page, ha_url, out)
                await _line_device(page, ha_url, device_id, out)
            finally:
                await context.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Take the screenshots."""
    parser = argparse.ArgumentParser(prog="python -m devtools.screenshots")
    parser.add_argument("--ha-url", required=True)
    parser.add_argument("--sim-url", required=True)
    parser.add_argument("--config", type=Path, required=True, help="HA's config dir")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(shoot(args.ha_url, args.sim_url, args.config, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
