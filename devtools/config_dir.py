"""Home Assistant's config directory for the demo and the end-to-end tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .common import DevToolsError, JsonObject
from .integration import DOMAIN, INTEGRATION_DIR, ROOT
from .processes import LOOPBACK

CONFIGURATION_YAML = ROOT / "config" / "configuration.yaml"
# What configuration.yaml includes, as Home Assistant's own first start writes them:
# the UI's automation, script and scene editors save into these files.
INCLUDED_FILES = {"automations.yaml": "[]\n", "scripts.yaml": "", "scenes.yaml": ""}


def http_storage(port: int) -> JsonObject:
    """Return .storage/http with loopback settings already confirmed as stable."""
    # HA 2026.10 keeps http settings in storage; YAML ones become a pending trial that
    # is reverted (with a restart) after five minutes unless an admin confirms them.
    stable = {
        "server_port": port,
        "server_host": [LOOPBACK],
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
        "created_at": "2026-01-01T00:00:00+00:00",
        "error": None,
        "error_message": None,
    }
    return {
        "version": 2,
        "minor_version": 2,
        "key": "http",
        "data": {"stable": stable, "pending": None, "yaml_migration_done": False},
    }


# Every onboarding step but the user: the core_config step would start the met,
# radio_browser and google_translate config flows, which reach the internet.
ONBOARDING_SEED: JsonObject = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": ["core_config", "analytics", "integration"]},
}


def prepare_config_dir(config_dir: Path, *, port: int) -> None:
    """Lay out a config directory: YAML, http settings, onboarding, the integration."""
    config_dir.mkdir(parents=True, exist_ok=True)
    yaml = config_dir / "configuration.yaml"
    if not yaml.exists() or not yaml.samefile(CONFIGURATION_YAML):
        shutil.copyfile(CONFIGURATION_YAML, yaml)
    for name, empty in INCLUDED_FILES.items():
        # Kept when present: they hold what was made in the UI.
        if not (config_dir / name).exists():
            (config_dir / name).write_text(empty, encoding="utf-8")
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    _write_json(storage / "http", http_storage(port))
    if not (storage / "onboarding").exists() and not (storage / "auth").exists():
        _write_json(storage / "onboarding", ONBOARDING_SEED)
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / DOMAIN
    if link.is_symlink():
        link.unlink()
    elif link.exists():
        msg = f"{link} is not a symlink to {INTEGRATION_DIR}; remove it first"
        raise DevToolsError(msg)
    # A link, not a copy: Home Assistant runs the code being edited.
    link.symlink_to(INTEGRATION_DIR, target_is_directory=True)


def _write_json(path: Path, data: JsonObject) -> None:
    """Write a JSON file as Home Assistant's storage does."""
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
