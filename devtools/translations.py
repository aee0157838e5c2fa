"""Build translations/en.json from strings.json, resolving [%key:...%] references.

Home Assistant core resolves references when it builds its translations, but a
custom integration is loaded from translations/<language>.json alone, so ours
are resolved here. A reference names a string of this integration
(``component::sendblue::...``) or one of Home Assistant's common strings
(``common::...``, from the installed homeassistant package).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import homeassistant

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "sendblue"
STRINGS = INTEGRATION / "strings.json"
EN = INTEGRATION / "translations" / "en.json"
COMMON = Path(homeassistant.__file__).parent / "strings.json"
DOMAIN = INTEGRATION.name

REFERENCE = re.compile(r"\[%key:([\w:]+)%\]")


class TranslationError(Exception):
    """A reference that does not resolve to a string."""


def _lookup(sources: dict[str, Any], reference: str) -> str:
    """Return the plain string a reference names (one level, as Lokalise allows)."""
    node: Any = sources
    for part in reference.split("::"):
        if not isinstance(node, dict) or part not in node:
            msg = f"[%key:{reference}%] names nothing"
            raise TranslationError(msg)
        node = node[part]
    if not isinstance(node, str) or REFERENCE.search(node):
        msg = f"[%key:{reference}%] must name a plain string"
        raise TranslationError(msg)
    return node


def resolve(strings: dict[str, Any], common: dict[str, Any]) -> dict[str, Any]:
    """Return strings with every reference replaced by the text it names."""
    sources = {"component": {DOMAIN: strings}, **common}

    def walk(node: object) -> object:
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, str):
            return REFERENCE.sub(lambda m: _lookup(sources, m[1]), node)
        return node

    resolved = walk(strings)
    assert isinstance(resolved, dict)  # noqa: S101 - walk keeps a dict a dict
    return resolved


def render(data: dict[str, Any]) -> str:
    """Serialise as the repository keeps its JSON: 2 spaces, UTF-8, final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def build() -> str:
    """Return what translations/en.json should contain."""
    strings = json.loads(STRINGS.read_text(encoding="utf-8"))
    common = json.loads(COMMON.read_text(encoding="utf-8"))
    return render(resolve(strings, common))


def main(argv: list[str]) -> int:
    """Write translations/en.json, or with --check say whether it is stale."""
    wanted = build()
    if "--check" in argv:
        if EN.read_text(encoding="utf-8") != wanted:
            sys.stderr.write("en.json is stale: run scripts/translations\n")
            return 1
        return 0
    EN.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
