"""What phacc 0.13.375 needs to run on the newest Home Assistant (test --newest).

phacc is built for homeassistant 2026.10.4; on 2026.11 two things break before any
test runs, and this module (loaded with pytest -p, before the entry-point plugins)
mends both without importing more of Home Assistant than its package:

- phacc's plugin imports respx, hence httpx, before homeassistant; homeassistant
  2026.11 aliases httpx to httpx2 (and voluptuous to probatio) on its first import
  and refuses once httpx is loaded. Importing the package here comes first.
- phacc imports _clear_logger_overwrites from homeassistant.components.logger, which
  2026.11 keeps in its helpers module only. The name is added once the logger
  component is imported, as phacc's own import does: importing it here would load
  Home Assistant before phacc patches time and JSON.

Only scripts/test --newest loads it; the pinned Home Assistant needs none of this.
Drop each part once a phacc built for the newest release is pinned there.
"""

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

import homeassistant  # noqa: F401 -- imported first for its aliasing side effect

LOGGER_COMPONENT = "homeassistant.components.logger"


class _AddLoggerHelper(importlib.abc.MetaPathFinder):
    """Add the helper phacc imports to the logger component when it is imported."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        """Find the logger component as usual, and wrap how it executes."""
        if fullname != LOGGER_COMPONENT:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            if not hasattr(module, "_clear_logger_overwrites"):
                helpers = importlib.import_module(f"{LOGGER_COMPONENT}.helpers")
                module._clear_logger_overwrites = helpers._clear_logger_overwrites

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _AddLoggerHelper())
