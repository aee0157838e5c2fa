"""quality_scale.yaml follows the current rule list, and its checkable claims hold."""

import importlib
import inspect
import json
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import homeassistant.components
import pytest
import yaml
from PIL import Image

from custom_components.sendblue import PLATFORMS
from custom_components.sendblue.api import SendblueClient
from custom_components.sendblue.config_flow import SendblueConfigFlow

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "sendblue"

# The Integration Quality Scale's rules by tier (developers.home-assistant,
# tiers.json, 2026-08); test_rule_list checks the names against Home Assistant's own.
TIERS: dict[str, list[str]] = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow-test-coverage",
        "config-flow",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}
RULES = [rule for rules in TIERS.values() for rule in rules]
STATUSES = {"done", "todo", "exempt"}


@cache  # read once: 66 tests ask, and the pure-Python parse takes 25 ms
def _rules() -> dict[str, Any]:
    """Return the rules mapping of quality_scale.yaml."""
    data = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text("utf-8"))
    assert set(data) == {"rules"}
    rules: dict[str, Any] = data["rules"]
    return rules


def _status(rule: str) -> str:
    """Return a rule's status, whichever form it is written in."""
    value = _rules()[rule]
    return str(value if isinstance(value, str) else value["status"])


def _manifest() -> dict[str, Any]:
    """Return manifest.json."""
    manifest: dict[str, Any] = json.loads(
        (INTEGRATION / "manifest.json").read_text("utf-8")
    )
    return manifest


def test_rule_list() -> None:
    """The embedded list names the rules Home Assistant's own integrations track."""
    # Every core integration's quality_scale.yaml lists every rule of the current
    # scale, and the homeassistant package ships them: a rule added or renamed there
    # shows up here when the pinned (or, with --newest, the newest) release has it.
    components = Path(homeassistant.components.__file__).parent
    tracked = {
        # libyaml's loader: 374 files take 2 s with the pure-Python one.
        frozenset(yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)["rules"])
        for path in components.glob("*/quality_scale.yaml")
    }
    assert tracked == {frozenset(RULES)}
    assert len(RULES) == len(set(RULES))


def test_every_rule_once_in_tier_order() -> None:
    """The file has exactly the current rules, in tier order, none missing."""
    assert list(_rules()) == RULES


@pytest.mark.parametrize("rule", RULES)
def test_rule_status(rule: str) -> None:
    """A status is done, todo or exempt; exempt and todo say why."""
    value = _rules()[rule]
    if isinstance(value, str):
        assert value == "done", f"{rule}: only done may stand without a comment"
        return
    assert set(value) <= {"status", "comment"}, rule
    assert value["status"] in STATUSES, rule
    if value["status"] != "done":
        assert isinstance(value.get("comment"), str), rule
        assert value["comment"].strip(), rule


def _check_brands() -> None:
    """Check the brand images: transparent PNGs of the documented sizes."""
    brand = INTEGRATION / "brand"
    sizes = {}
    for path in brand.iterdir():
        with Image.open(path) as image:
            assert image.format == "PNG", path.name
            assert image.mode == "RGBA", path.name
            assert image.getchannel("A").getextrema()[0] == 0, path.name
            sizes[path.name] = image.size
    assert sizes["icon.png"] == (256, 256)
    assert sizes["icon@2x.png"] == (512, 512)
    for prefix in ("", "dark_"):
        width, height = sizes[f"{prefix}logo.png"]
        assert width > height
        assert 128 <= min(width, height) <= 256
        assert sizes[f"{prefix}logo@2x.png"] == (width * 2, height * 2)


def _check_integration_owner() -> None:
    """Check that the manifest names a code owner."""
    assert _manifest()["codeowners"]


def _check_parallel_updates() -> None:
    """Check PARALLEL_UPDATES of every entity platform: 0 to read, 1 to send."""
    expected = {"event": 0, "notify": 1, "sensor": 0}
    assert {platform.value for platform in PLATFORMS} == set(expected)
    for name, value in expected.items():
        module = importlib.import_module(f"custom_components.sendblue.{name}")
        assert value == module.PARALLEL_UPDATES, name


def _check_flows() -> None:
    """Check that the reauthentication and reconfiguration steps exist."""
    for step in ("async_step_reauth", "async_step_reauth_confirm"):
        assert callable(getattr(SendblueConfigFlow, step))
    assert callable(SendblueConfigFlow.async_step_reconfigure)


def _check_inject_websession() -> None:
    """Check that the client takes the session it is given."""
    assert "session" in inspect.signature(SendblueClient).parameters


def _check_strict_typing() -> None:
    """Check that mypy runs strict and the client package says it is typed."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert pyproject["tool"]["mypy"]["strict"] is True
    assert (INTEGRATION / "api" / "py.typed").is_file()


def _check_icon_translations() -> None:
    """Check that entity icons come from icons.json."""
    assert json.loads((INTEGRATION / "icons.json").read_text("utf-8"))["entity"]


def _check_docs_actions() -> None:
    """Check that every action in services.yaml has a section in the README."""
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text("utf-8"))
    doc = (ROOT / "README.md").read_text("utf-8")
    for name in services:
        if not name.startswith("."):
            assert f"## `sendblue.{name}`" in doc, name


# Checks of claims that code can verify, run when the rule is marked done.
DONE_CHECKS: dict[str, Callable[[], None]] = {
    "brands": _check_brands,
    "docs-actions": _check_docs_actions,
    "icon-translations": _check_icon_translations,
    "inject-websession": _check_inject_websession,
    "integration-owner": _check_integration_owner,
    "parallel-updates": _check_parallel_updates,
    "reauthentication-flow": _check_flows,
    "reconfiguration-flow": _check_flows,
    "strict-typing": _check_strict_typing,
}


@pytest.mark.parametrize("rule", sorted(DONE_CHECKS))
def test_done_claims_hold(rule: str) -> None:
    """What the file marks done and code can check is true."""
    assert _status(rule) == "done"
    DONE_CHECKS[rule]()


def test_exemptions_still_apply() -> None:
    """Each exemption's reason is still true of the code."""
    manifest = _manifest()
    assert _status("dependency-transparency") == "exempt"
    # The one requirement is Home Assistant's own (HA installs and pins it).
    assert manifest["requirements"] == ["mashumaro>=3.17"]
    assert _status("discovery") == _status("discovery-update-info") == "exempt"
    discovery_keys = {"bluetooth", "dhcp", "homekit", "mqtt", "ssdp", "usb", "zeroconf"}
    assert discovery_keys.isdisjoint(manifest)
    assert _status("docs-conditions") == "exempt"
    assert not (INTEGRATION / "device_condition.py").exists()
    assert not (INTEGRATION / "condition.py").exists()
    assert not (INTEGRATION / "conditions.yaml").exists()
