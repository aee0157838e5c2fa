"""Local mirror of hassfest's custom-integration checks of services and translations.

hassfest (`python -m script.hassfest --integration-path ...`) needs Home Assistant's
repository, so its rules are restated here, built from the installed Home Assistant's
own validators (slugs, selectors, HTML). Each rule has a test that feeds it what it
must refuse, so the mirror cannot silently stop checking.
"""

import json
import re
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import probatio as vol
import pytest
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import selector
from homeassistant.util.yaml import parse_yaml

from devtools import translations

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "sendblue"

# -- services.yaml ---------------------------------------------------------------


def _present(value: object) -> object:
    """Refuse a key given without a value."""
    if value is None:
        raise vol.Invalid("value cannot be None")
    return value


def _unique_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Refuse a field name used twice across a service's sections."""
    seen: set[str] = set()
    for key, value in fields.items():
        names = value["fields"] if value and "fields" in value else [key]
        for name in names:
            if name in seen:
                raise vol.Invalid(f"duplicate field {name}")
            seen.add(name)
    return fields


TEXTS = {vol.Optional("name"): str, vol.Optional("description"): str}
FIELD = vol.Schema(
    {
        vol.Optional("example"): _present,
        vol.Optional("default"): _present,
        vol.Optional("required"): bool,
        vol.Optional("advanced"): bool,
        vol.Optional("selector"): selector.validate_selector,
        **TEXTS,
    }
)
SECTION = vol.Schema(
    {vol.Optional("collapsed"): bool, vol.Required("fields"): {str: FIELD}, **TEXTS}
)
# Our actions take no target, so filters (targeted services only) are refused.
SERVICE = vol.Any(
    vol.Schema(
        {
            vol.Optional("fields"): vol.All(
                {str: vol.Any(FIELD, SECTION)}, _unique_fields
            ),
            **TEXTS,
        }
    ),
    None,
)
SERVICES = vol.Schema({cv.slug: SERVICE})


def _services_yaml(text: str) -> object:
    """Parse services.yaml as Home Assistant does (anchors resolved)."""
    return parse_yaml(text)


def test_services_yaml_passes_hassfest() -> None:
    """Every key is a slug naming an action; fields are as hassfest allows."""
    SERVICES(_services_yaml((INTEGRATION / "services.yaml").read_text("utf-8")))


@pytest.mark.parametrize(
    "text",
    [
        # YAML anchors in dot keys: "invalid slug .address (try address)".
        (
            ".address: &address\n  selector:\n    text:\nsend:\n  fields:\n"
            "    to: *address\n"
        ),
        "send:\n  fields:\n    to:\n      selector:\n        no_such_selector:\n",
        "send:\n  fields:\n    to:\n      required: 'yes'\n",
        "send:\n  fields:\n    to:\n      filter:\n        supported_features: []\n",
        "send:\n  fields:\n    to:\n      example:\n",
        (
            "send:\n  fields:\n    a:\n      fields:\n        to: {}\n"
            "    b:\n      fields:\n        to: {}\n"
        ),
    ],
)
def test_services_rules_refuse(text: str) -> None:
    """The mirror refuses what hassfest refuses."""
    with pytest.raises(vol.Invalid):
        SERVICES(_services_yaml(text))


# -- translations ------------------------------------------------------------------

TRANSLATION_KEY = re.compile(r"(?![_-])(?!.*[_-]{2})[a-z0-9_-]+(?<![_-])")
URL = re.compile(
    r"((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5)://|www\.)"
    r"[a-z0-9]+([-.][a-z0-9]+)*\.[a-z]{2,5}(:\d{1,5})?(/.*)?",
    re.IGNORECASE,
)
QUOTED_PLACEHOLDER = re.compile(r"'\{\w+\}'")
COMBINED_REFERENCE = re.compile(r".+\[%|%\].+")


def _key(value: str) -> str:
    """Accept a translation key: [a-z0-9-_], no edge or doubled separators."""
    if not isinstance(value, str) or not TRANSLATION_KEY.fullmatch(value):
        raise vol.Invalid(f"invalid translation key {value!r}")
    return value


def _text(*, placeholders: bool = True) -> Callable[[object], str]:
    """Return hassfest's check of one translated string."""

    def check(value: object) -> str:
        text = cv.string_with_no_html(value)
        if QUOTED_PLACEHOLDER.search(text):
            raise vol.Invalid("placeholder inside single quotes")
        for _, name, _, _ in string.Formatter().parse(text):
            if name and not placeholders:
                raise vol.Invalid("placeholders are not supported here")
            if name and not name.isidentifier():
                raise vol.Invalid(f"placeholder {name!r} is not an identifier")
        if COMBINED_REFERENCE.search(text):
            raise vol.Invalid("combined translations")
        if text != text.strip():
            raise vol.Invalid("leading or trailing spaces")
        if URL.search(text):
            raise vol.Invalid(
                "the string should not contain URLs, please use description"
                " placeholders instead"
            )
        return text

    return check


TEXT = _text()
PLAIN = _text(placeholders=False)


def _keyed(value: object, slug: Callable[[Any], Any] = cv.slug) -> vol.Schema:
    """Return a mapping schema whose keys pass the given key check."""
    return cv.schema_with_slug_keys(value, slug_validator=slug)


def _descriptions_have_data(flow: dict[str, Any]) -> dict[str, Any]:
    """Refuse a data_description for a field the step does not have."""
    for step in flow["step"].values():
        for key in step.get("data_description", {}):
            if key not in step.get("data", {}):
                raise vol.Invalid(f"data_description key {key} is not in data")
    return flow


def _flow(*, subentry: bool = False) -> vol.All:
    """Return the schema of a config, options or subentry flow's strings."""
    texts = {str: TEXT}
    schema: dict[Any, Any] = {
        vol.Optional("flow_title"): TEXT,
        vol.Required("step"): {
            str: {
                vol.Optional("title"): TEXT,
                vol.Optional("description"): TEXT,
                vol.Optional("data"): texts,
                vol.Optional("data_description"): texts,
                vol.Optional("menu_options"): texts,
                vol.Optional("menu_option_descriptions"): texts,
                vol.Optional("submit"): TEXT,
                vol.Optional("sections"): {
                    str: {
                        vol.Optional("data"): texts,
                        vol.Optional("data_description"): texts,
                        vol.Optional("description"): TEXT,
                        vol.Optional("name"): TEXT,
                    }
                },
            }
        },
        vol.Optional("error"): texts,
        vol.Optional("abort"): texts,
        vol.Optional("progress"): texts,
        vol.Optional("create_entry"): texts,
    }
    if subentry:
        schema[vol.Required("entry_type")] = TEXT
        schema[vol.Required("initiate_flow")] = {vol.Required("user"): TEXT, str: TEXT}
    else:
        schema[vol.Optional("initiate_flow")] = {vol.Required("user"): TEXT}
    return vol.All(vol.Schema(schema), _descriptions_have_data)


ACTION_FIELDS = _keyed(
    {
        vol.Required("name"): str,
        vol.Required("description"): TEXT,
        vol.Optional("example"): TEXT,
    },
    _key,
)
STRINGS = vol.Schema(
    {
        vol.Optional("title"): TEXT,
        vol.Optional("config"): _flow(),
        vol.Optional("config_subentries"): _keyed(
            _flow(subentry=True), vol.Any("_", cv.slug)
        ),
        vol.Optional("options"): _flow(),
        vol.Optional("selector"): _keyed(
            {
                vol.Optional("choices"): _keyed(TEXT, _key),
                vol.Optional("options"): _keyed(TEXT, _key),
                vol.Optional("unit_of_measurement"): _keyed(TEXT, _key),
                vol.Optional("fields"): vol.Any(
                    _keyed(str),
                    _keyed(
                        {vol.Required("name"): str, vol.Required("description"): TEXT},
                        _key,
                    ),
                ),
            },
            vol.Any("_", cv.slug),
        ),
        vol.Optional("device_automation"): {
            vol.Optional(part): {str: TEXT}
            for part in (
                "action_type",
                "condition_type",
                "trigger_type",
                "trigger_subtype",
                "extra_fields",
                "extra_fields_descriptions",
            )
        },
        vol.Optional("issues"): {
            str: vol.All(
                cv.has_at_least_one_key("description", "fix_flow"),
                vol.Schema(
                    {
                        vol.Required("title"): TEXT,
                        vol.Exclusive("description", "fixable"): TEXT,
                        vol.Exclusive("fix_flow", "fixable"): _flow(),
                    }
                ),
            )
        },
        vol.Optional("device"): _keyed({vol.Optional("name"): TEXT}, _key),
        vol.Optional("entity"): _keyed(
            _keyed(
                {
                    vol.Optional("name"): TEXT,
                    vol.Optional("state"): _keyed(PLAIN, _key),
                    vol.Optional("state_attributes"): _keyed(
                        {
                            vol.Optional("name"): PLAIN,
                            vol.Optional("state"): _keyed(PLAIN, _key),
                        },
                        _key,
                    ),
                    vol.Optional("unit_of_measurement"): PLAIN,
                },
                _key,
            )
        ),
        vol.Optional("exceptions"): _keyed({vol.Optional("message"): TEXT}),
        vol.Optional("services"): _keyed(
            {
                vol.Required("name"): TEXT,
                vol.Required("description"): TEXT,
                vol.Optional("fields"): ACTION_FIELDS,
                vol.Optional("sections"): _keyed(
                    {vol.Required("name"): str, vol.Optional("description"): TEXT},
                    _key,
                ),
            },
            _key,
        ),
        vol.Optional("common"): vol.Schema({cv.slug: TEXT}),
    }
)


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["strings.json", "translations/en.json"])
def test_translations_pass_hassfest(name: str) -> None:
    """Hassfest checks both files of a custom integration with one schema."""
    STRINGS(_json(INTEGRATION / name))


@pytest.mark.parametrize(
    ("path", "text"),
    [
        # The old base_url description: URLs belong in description placeholders.
        (
            ("config", "step", "user", "data_description", "base_url"),
            "Use another host, such as https://api.sendblue.com.",
        ),
        (("config", "step", "user", "data_description", "base_url"), "www.x.com"),
        (("config", "step", "user", "data_description", "nope"), "Not in data"),
        (("config", "step", "user", "title"), " Padded"),
        (("config", "step", "user", "title"), "<b>Bold</b>"),
        (("config", "step", "user", "title"), "Say '{name}'"),
        (("config", "step", "user", "title"), "Say {1x}"),
        (("config", "step", "user", "title"), "Text [%key:common::x%]"),
        (("entity", "sensor", "line_status", "state", "online"), "On {line}"),
        (("services", "Send", "name"), "Send"),
        (("exceptions", "Bad key", "message"), "Bad"),
        (("issues", "x", "title"), "An issue with neither description nor fix"),
    ],
)
def test_translation_rules_refuse(path: tuple[str, ...], text: str) -> None:
    """The mirror refuses what hassfest refuses."""
    data: dict[str, Any] = {"config": {"step": {"user": {"data": {"base_url": "B"}}}}}
    STRINGS(data)
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = text
    with pytest.raises(vol.Invalid):
        STRINGS(data)


# -- en.json is generated ----------------------------------------------------------


def test_en_json_is_built_from_strings() -> None:
    """translations/en.json is strings.json with its references resolved."""
    built = translations.build()
    assert (INTEGRATION / "translations" / "en.json").read_text("utf-8") == built
    assert "[%key:" not in built
    # The references are real: strings.json uses them for its repeats.
    assert "[%key:" in (INTEGRATION / "strings.json").read_text("utf-8")


def test_references_resolve_one_level() -> None:
    """A reference names a plain string of ours or of Home Assistant's common ones."""
    common = {"common": {"ok": "OK"}}
    strings = {
        "a": {"b": "Text", "c": "[%key:component::sendblue::a::b%]"},
        "d": "[%key:common::ok%]",
    }
    assert translations.resolve(strings, common) == {
        "a": {"b": "Text", "c": "Text"},
        "d": "OK",
    }
    for broken in (
        {"x": "[%key:component::sendblue::nothing%]"},
        {"x": "[%key:component::sendblue::y%]", "y": "[%key:common::ok%]"},
        {"x": "[%key:component::sendblue::y%]", "y": {"z": "Not a string"}},
    ):
        with pytest.raises(translations.TranslationError):
            translations.resolve(broken, common)


def test_translations_stale_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scripts/translations --check fails on a stale en.json and writes a fresh one."""
    en = tmp_path / "en.json"
    en.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(translations, "EN", en)
    assert translations.main(["--check"]) == 1
    assert translations.main([]) == 0
    assert translations.main(["--check"]) == 0
    assert en.read_text("utf-8") == translations.build()
