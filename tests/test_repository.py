"""Local mirrors of what hassfest and the HACS action check (both need a network)."""

import ast
import json
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "sendblue"

# hassfest's CUSTOM_INTEGRATION_MANIFEST_SCHEMA forbids keys it does not know.
MANIFEST_KEYS = {
    "after_dependencies",
    "bluetooth",
    "codeowners",
    "config_flow",
    "dependencies",
    "dhcp",
    "documentation",
    "domain",
    "homekit",
    "import_executor",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "loggers",
    "mqtt",
    "name",
    "quality_scale",
    "requirements",
    "single_config_entry",
    "ssdp",
    "usb",
    "version",
    "zeroconf",
}
# HACS's HACS_MANIFEST_JSON_SCHEMA uses PREVENT_EXTRA with exactly these keys.
HACS_KEYS = {
    "content_in_root",
    "country",
    "filename",
    "hacs",
    "hide_default_branch",
    "homeassistant",
    "name",
    "persistent_directory",
    "render_readme",
    "zip_release",
}


def _load(path: Path) -> Any:  # noqa: ANN401
    return json.loads(path.read_text(encoding="utf-8"))


def test_manifest_keys_sorted_like_hassfest() -> None:
    """Keys are domain, name, then alphabetical, or hassfest fails."""
    keys = list(_load(INTEGRATION / "manifest.json"))
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert set(keys) <= MANIFEST_KEYS


def test_manifest_contents() -> None:
    """The manifest has what HACS, hassfest and the loader require."""
    manifest = _load(INTEGRATION / "manifest.json")
    for key in ("codeowners", "documentation", "issue_tracker", "version", "iot_class"):
        assert manifest[key], key
    assert manifest["domain"] == INTEGRATION.name
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert "home-assistant.io" not in manifest["documentation"]
    assert manifest["config_flow"] is True
    assert manifest["integration_type"] == "service"
    assert manifest["iot_class"] == "cloud_push"
    assert manifest["dependencies"] == ["http", "webhook"]
    # Used only when present: cloudhooks, media and camera sends, Assist mode.
    assert manifest["after_dependencies"] == [
        "camera",
        "cloud",
        "conversation",
        "media_source",
    ]
    # Our client rides on Home Assistant's own aiohttp and mashumaro (both
    # installed with Home Assistant): nothing to download.
    assert manifest["requirements"] == ["mashumaro>=3.17"]


PHACC = "pytest-homeassistant-custom-component"


def _pinned_home_assistant() -> str:
    """Return the Home Assistant version that requirements_test.txt's phacc pins."""
    text = (ROOT / "requirements_test.txt").read_text(encoding="utf-8")
    phacc = re.search(rf"^{PHACC}==(\S+)$", text, re.MULTILINE)
    assert phacc, f"requirements_test.txt pins no {PHACC}"
    # The same phacc is installed under scripts/test --newest (without its pin).
    assert metadata.version(PHACC) == phacc[1], "its metadata tells which HA it pins"
    [pin] = [
        specifier
        for requirement in map(Requirement, metadata.requires(PHACC) or [])
        if requirement.name == "homeassistant"
        for specifier in requirement.specifier
    ]
    assert pin.operator == "=="
    return pin.version


def test_hacs_json() -> None:
    """hacs.json passes the HACS schema and names the oldest version we test."""
    hacs = _load(ROOT / "hacs.json")
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"]
    # The pinned Home Assistant, not the installed one: --newest tests a later one.
    assert hacs["homeassistant"] == _pinned_home_assistant()
    assert "zip_release" not in hacs or "filename" in hacs


def test_license_is_osi() -> None:
    """HACS requires an OSI licence GitHub can detect."""
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith(("MIT License", "Apache License"))


def _strings() -> dict[str, Any]:
    return _load(INTEGRATION / "strings.json")


def _python_sources() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8") for path in INTEGRATION.glob("*.py")
    )


def test_exception_keys_translated() -> None:
    """Every translation_key raised in code has a message (exception-translations)."""
    sources = _python_sources()
    keys = set(re.findall(r'translation_key\s*=\s*"(\w+)"', sources))
    keys |= set(re.findall(r'\binvalid\(\s*"(\w+)"', sources))
    keys |= set(re.findall(r'\(\w+, "(\w+)"\),', sources))
    strings = _strings()
    exceptions = strings["exceptions"]
    known = set(exceptions) | set(strings["issues"])
    known |= {key for entities in strings["entity"].values() for key in entities}
    assert keys - known == set()
    for key in keys & set(exceptions):
        assert exceptions[key]["message"]


def test_entity_translations_and_icons() -> None:
    """Every entity translation key has a name and an icon."""
    sources = _python_sources()
    keys = set(re.findall(r'translation_key\s*=\s*"(\w+)"', sources))
    strings = _strings()["entity"]
    icons = _load(INTEGRATION / "icons.json")["entity"]
    for platform, entities in strings.items():
        for key, entity in entities.items():
            assert entity["name"], key
            assert key in icons[platform], key
    named = {key for entities in strings.values() for key in entities}
    assert {k for k in keys if k in named} == named


# Platforms and helpers hassfest lets any integration use without declaring.
ALWAYS_ALLOWED = {
    "device_automation",
    "diagnostics",
    "event",
    "notify",
    "repairs",
    "sensor",
}


def test_manifest_covers_component_imports() -> None:
    """Each homeassistant.components.X we import is a (after_)dependency."""
    manifest = _load(INTEGRATION / "manifest.json")
    declared = set(manifest["dependencies"]) | set(manifest["after_dependencies"])
    used = set(re.findall(r"homeassistant\.components\.(\w+)", _python_sources())) | {
        name
        for names in re.findall(
            r"from homeassistant\.components import ([\w, ]+)", _python_sources()
        )
        for name in names.replace(" ", "").split(",")
    }
    # hassfest lets a platform file (logbook.py, repairs.py...) import its component.
    platforms = {path.stem for path in INTEGRATION.glob("*.py")}
    assert used - declared - ALWAYS_ALLOWED - platforms == set()


def test_client_library_is_free_of_home_assistant() -> None:
    """api/ imports only the standard library, aiohttp, mashumaro and its own."""
    allowed_third_party = {"aiohttp", "mashumaro", "multidict", "yarl"}
    for path in (INTEGRATION / "api").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                assert top in sys.stdlib_module_names or top in allowed_third_party, (
                    f"{path.name} imports {module}"
                )
