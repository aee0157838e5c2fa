"""Where the integration is, and its own constants, loaded without Home Assistant.

custom_components/sendblue/__init__.py imports Home Assistant, which takes seconds;
const.py imports only the standard library, so it is loaded by itself (under a name
of ours, so a process that imports the real package later gets the real one).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION_DIR = ROOT / "custom_components" / "sendblue"


def _load_const() -> ModuleType:
    """Execute custom_components/sendblue/const.py as a module of its own."""
    spec = importlib.util.spec_from_file_location(
        "devtools._sendblue_const", INTEGRATION_DIR / "const.py"
    )
    if spec is None or spec.loader is None:
        msg = f"cannot load {INTEGRATION_DIR / 'const.py'}"
        raise ImportError(msg)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


const = _load_const()
DOMAIN: str = const.DOMAIN
SUBENTRY_RECIPIENT: str = const.SUBENTRY_RECIPIENT
EVENT_MESSAGE_RECEIVED: str = const.EVENT_MESSAGE_RECEIVED
EVENT_MESSAGE_STATUS: str = const.EVENT_MESSAGE_STATUS
# webhook.py's WEBHOOK_TYPES, whose module imports Home Assistant.
WEBHOOK_TYPES = ("receive", "outbound", "typing_indicator")
