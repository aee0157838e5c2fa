"""The automation blueprints load in Home Assistant and do what they promise."""

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import probatio as vol
import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import Blueprint
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import selector
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict

from custom_components.sendblue.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from custom_components.sendblue.services import ACTIONS

ROOT = Path(__file__).parent.parent
BLUEPRINTS = ROOT / "blueprints" / "automation" / "sendblue"
NOTIFY = "notify_on_binary_sensor.yaml"
KEYWORD = "keyword_run_script.yaml"
AWAY = "away_auto_reply.yaml"

ENTRY_ID = "01JD8Z3M5Q7R9T1V3X5Z7B9D1F"
OTHER_ENTRY_ID = "01JD8Z3M5Q7R9T1V3X5Z7B9D2G"
LINE = "+15122164639"
SENDER = "+19998887777"
HANDLE = "5A17319E-CBCF-443E-897E-D8B0C04B1B09"
AUTOMATION = "automation.under_test"
REPLY = "Away until Monday."

type Calls = list[tuple[str, dict[str, Any]]]


def _repository() -> str:
    """Return the repository URL the manifest documents."""
    manifest = json.loads(
        (ROOT / "custom_components" / DOMAIN / "manifest.json").read_text("utf-8")
    )
    return str(manifest["documentation"]).rstrip("/")


def _blueprint(name: str) -> Blueprint:
    """Load a blueprint file as Home Assistant's automation integration does."""
    return Blueprint(
        load_yaml_dict(BLUEPRINTS / name),
        path=name,
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )


def test_the_blueprints_shipped() -> None:
    """Exactly the documented blueprints are in the repository."""
    assert sorted(path.name for path in BLUEPRINTS.iterdir()) == sorted(
        [AWAY, KEYWORD, NOTIFY]
    )


@pytest.mark.parametrize("name", [NOTIFY, KEYWORD, AWAY])
def test_blueprint_is_valid(name: str) -> None:
    """Each blueprint passes the schema, runs here and imports from its own URL."""
    blueprint = _blueprint(name)
    assert blueprint.validate() is None
    metadata = blueprint.metadata
    assert metadata["domain"] == "automation"
    assert metadata["name"].startswith("Sendblue - ")
    assert metadata["description"]
    assert metadata["source_url"] == (
        f"{_repository()}/blob/main/blueprints/automation/sendblue/{name}"
    )
    for key, spec in blueprint.inputs.items():
        assert spec["name"], key
        assert spec["description"], key
        check = selector.selector(spec["selector"])
        # Empty defaults mean "not set"; every other default must be selectable.
        if spec.get("default") not in (None, "", []):
            check(spec["default"])


@pytest.fixture
async def blueprint_hass(hass: HomeAssistant, tmp_path: Path) -> HomeAssistant:
    """Give Home Assistant a config dir with the blueprints where users import them."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(
        BLUEPRINTS, Path(hass.config.path("blueprints/automation/sendblue"))
    )
    return hass


@pytest.fixture
def calls() -> Calls:
    """Return the actions the automation called, in order."""
    return []


@pytest.fixture
def responses() -> dict[str, Callable[[ServiceCall], ServiceResponse]]:
    """Return how the fake Sendblue actions answer, by action name."""
    return {}


@pytest.fixture
def fake_actions(
    blueprint_hass: HomeAssistant,
    calls: Calls,
    responses: dict[str, Callable[[ServiceCall], ServiceResponse]],
) -> None:
    """Register Sendblue's actions with their real schemas, and script.turn_on."""

    def register(
        domain: str, name: str, schema: vol.Schema | None, supports: SupportsResponse
    ) -> None:
        async def handle(call: ServiceCall) -> ServiceResponse:
            calls.append((f"{domain}.{name}", dict(call.data)))
            if answer := responses.get(name):
                return answer(call)
            return {"messages": []} if name == "list_messages" else {}

        blueprint_hass.services.async_register(
            domain, name, handle, schema=schema, supports_response=supports
        )

    for name in ("send_message", "send_reaction", "list_messages"):
        _, schema, supports = ACTIONS[name]
        register(DOMAIN, name, schema, supports)
    register("script", "turn_on", None, SupportsResponse.NONE)


async def _use(hass: HomeAssistant, name: str, inputs: dict[str, Any]) -> None:
    """Create an automation from a blueprint, checking the inputs fit the selectors."""
    blueprint = _blueprint(name)
    for key, value in inputs.items():
        selector.selector(blueprint.inputs[key]["selector"])(value)
    config = {"alias": "Under test", "use_blueprint": {"path": f"sendblue/{name}"}}
    config["use_blueprint"]["input"] = inputs
    assert await async_setup_component(hass, "automation", {"automation": config})
    await hass.async_block_till_done()
    state = hass.states.get(AUTOMATION)
    assert state is not None
    assert state.state == "on"


def _received(**changes: Any) -> dict[str, Any]:  # noqa: ANN401
    """Return sendblue_message_received data as the integration fires it."""
    return {
        "message_handle": HANDLE,
        "content": "Please OPEN the garage",
        "media_url": None,
        "from_number": SENDER,
        "to_number": LINE,
        "service": "iMessage",
        "is_group": False,
        "group_id": None,
        "group_display_name": None,
        "participants": [],
        "date_sent": "2026-11-26T12:00:00+00:00",
        "payload": {"message_handle": HANDLE},
        "config_entry_id": ENTRY_ID,
        "line": LINE,
        **changes,
    }


async def _text(hass: HomeAssistant, **changes: Any) -> None:  # noqa: ANN401
    """Fire one inbound text and let the automation finish."""
    hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, _received(**changes))
    await hass.async_block_till_done()


# -- notify_on_binary_sensor --------------------------------------------------------


@pytest.mark.usefixtures("fake_actions")
async def test_sensor_on_sends_snapshot(
    blueprint_hass: HomeAssistant, calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    """The text carries the camera snapshot, then a quiet time holds back repeats."""
    hass = blueprint_hass
    hass.states.async_set("binary_sensor.front_door", "off")
    hass.states.async_set("camera.porch", "idle")
    await _use(
        hass,
        NOTIFY,
        {
            "sensor": "binary_sensor.front_door",
            "recipients": [SENDER, "owner@example.com"],
            "message": "Someone is at the door",
            "camera": "camera.porch",
            "from_number": LINE,
            "config_entry": ENTRY_ID,
            "quiet_time": {"hours": 0, "minutes": 5, "seconds": 0},
        },
    )
    hass.states.async_set("binary_sensor.front_door", "on")
    await hass.async_block_till_done()
    assert calls == [
        (
            "sendblue.send_message",
            {
                "config_entry_id": ENTRY_ID,
                "to": [SENDER, "owner@example.com"],
                "message": "Someone is at the door",
                "media": {
                    "media_content_id": "media-source://camera/camera.porch",
                    "media_content_type": "image/jpeg",
                },
                "from_number": LINE,
            },
        )
    ]
    # Flapping inside the quiet time sends nothing more.
    freezer.tick(timedelta(minutes=4, seconds=59))
    for state in ("off", "on", "off"):
        hass.states.async_set("binary_sensor.front_door", state)
        await hass.async_block_till_done()
    assert len(calls) == 1
    freezer.tick(timedelta(seconds=1))
    hass.states.async_set("binary_sensor.front_door", "on")
    await hass.async_block_till_done()
    assert len(calls) == 2


@pytest.mark.parametrize("camera", [None, "camera.porch"])
@pytest.mark.usefixtures("fake_actions")
async def test_sensor_on_without_snapshot(
    blueprint_hass: HomeAssistant, calls: Calls, camera: str | None
) -> None:
    """Without a camera, or with one unavailable, the default text goes out alone."""
    hass = blueprint_hass
    hass.states.async_set(
        "binary_sensor.leak", "off", {"friendly_name": "Kitchen leak"}
    )
    hass.states.async_set("camera.porch", "unavailable")
    inputs = {"sensor": "binary_sensor.leak", "recipients": [SENDER]}
    if camera:
        inputs["camera"] = camera
    await _use(hass, NOTIFY, inputs)
    hass.states.async_set("binary_sensor.leak", "on", {"friendly_name": "Kitchen leak"})
    await hass.async_block_till_done()
    assert calls == [
        (
            "sendblue.send_message",
            {
                "config_entry_id": "",
                "to": [SENDER],
                "message": "Kitchen leak turned on.",
                "from_number": "",
            },
        )
    ]


@pytest.mark.usefixtures("fake_actions")
async def test_sensor_back_from_unavailable_is_quiet(
    blueprint_hass: HomeAssistant, calls: Calls
) -> None:
    """A sensor coming back as on after a restart is not an event."""
    hass = blueprint_hass
    hass.states.async_set("binary_sensor.motion", "unavailable")
    await _use(hass, NOTIFY, {"sensor": "binary_sensor.motion", "recipients": [SENDER]})
    hass.states.async_set("binary_sensor.motion", "on")
    await hass.async_block_till_done()
    assert calls == []


# -- keyword_run_script -------------------------------------------------------------


async def _use_keyword(hass: HomeAssistant, **inputs: Any) -> None:  # noqa: ANN401
    """Create the keyword automation for the garage script."""
    await _use(
        hass,
        KEYWORD,
        {
            "allowed_senders": ["+1 (999) 888-7777", "Owner@Example.com"],
            "keyword": "open the garage",
            "script": "script.open_garage",
            **inputs,
        },
    )


SCRIPT_CALL = (
    "script.turn_on",
    {
        "entity_id": ["script.open_garage"],
        "variables": {
            "from_number": SENDER,
            "content": "Please OPEN the garage",
            "message_handle": HANDLE,
            "line": LINE,
            "config_entry_id": ENTRY_ID,
        },
    },
)


@pytest.mark.usefixtures("fake_actions")
async def test_keyword_runs_script_then_reacts(
    blueprint_hass: HomeAssistant, calls: Calls
) -> None:
    """An allowed sender's text with the keyword runs the script, then gets a 👍."""
    await _use_keyword(blueprint_hass)
    await _text(blueprint_hass)
    assert calls == [
        SCRIPT_CALL,
        (
            "sendblue.send_reaction",
            {
                "config_entry_id": ENTRY_ID,
                "message_handle": HANDLE,
                "reaction": "like",
            },
        ),
    ]


@pytest.mark.usefixtures("fake_actions")
async def test_keyword_from_email_sender(
    blueprint_hass: HomeAssistant, calls: Calls
) -> None:
    """E-mail senders match whatever their case; the chosen reaction is sent."""
    await _use_keyword(blueprint_hass, reaction="love", config_entry=ENTRY_ID)
    await _text(blueprint_hass, from_number="owner@example.COM")
    assert [name for name, _ in calls] == ["script.turn_on", "sendblue.send_reaction"]
    assert calls[1][1]["reaction"] == "love"


@pytest.mark.parametrize(
    "changes",
    [
        {"from_number": "+14155550100"},
        {"from_number": None},
        {"content": "Please close the garage"},
        {"content": None},
        {"config_entry_id": OTHER_ENTRY_ID},
    ],
)
@pytest.mark.usefixtures("fake_actions")
async def test_keyword_ignores_other_texts(
    blueprint_hass: HomeAssistant, calls: Calls, changes: dict[str, Any]
) -> None:
    """Strangers, texts without the keyword and other accounts run nothing."""
    await _use_keyword(blueprint_hass, config_entry=ENTRY_ID)
    await _text(blueprint_hass, **changes)
    assert calls == []


@pytest.mark.parametrize(
    ("inputs", "changes"),
    [({}, {"service": "SMS"}), ({"reaction": "none"}, {})],
)
@pytest.mark.usefixtures("fake_actions")
async def test_keyword_without_reaction(
    blueprint_hass: HomeAssistant,
    calls: Calls,
    inputs: dict[str, Any],
    changes: dict[str, Any],
) -> None:
    """SMS texts get no tapback (iMessage only), nor does anyone when it is off."""
    await _use_keyword(blueprint_hass, **inputs)
    await _text(blueprint_hass, **changes)
    assert [name for name, _ in calls] == ["script.turn_on"]


@pytest.mark.usefixtures("fake_actions")
async def test_keyword_reaction_failure_is_harmless(
    blueprint_hass: HomeAssistant,
    calls: Calls,
    responses: dict[str, Callable[[ServiceCall], ServiceResponse]],
) -> None:
    """A refused tapback leaves the run, and the next text, unaffected."""

    def refuse(call: ServiceCall) -> ServiceResponse:
        raise HomeAssistantError(call.data["reaction"])

    responses["send_reaction"] = refuse
    await _use_keyword(blueprint_hass)
    await _text(blueprint_hass)
    await _text(blueprint_hass, message_handle="other-handle")
    assert [name for name, _ in calls] == [
        "script.turn_on",
        "sendblue.send_reaction",
        "script.turn_on",
        "sendblue.send_reaction",
    ]
    state = blueprint_hass.states.get(AUTOMATION)
    assert state is not None
    assert state.attributes["current"] == 0


# -- away_auto_reply ----------------------------------------------------------------


async def _use_away(hass: HomeAssistant, **inputs: Any) -> None:  # noqa: ANN401
    """Create the away automation on input_boolean.away, which is on."""
    hass.states.async_set("input_boolean.away", "on")
    await _use(
        hass,
        AWAY,
        {"away_entity": "input_boolean.away", "reply": REPLY, **inputs},
    )


LIST_CALL = "sendblue.list_messages"
REPLY_CALL = (
    "sendblue.send_message",
    {
        "config_entry_id": ENTRY_ID,
        "to": [SENDER],
        "from_number": LINE,
        "message": REPLY,
    },
)


@pytest.mark.usefixtures("fake_actions")
async def test_away_replies_from_the_line(
    blueprint_hass: HomeAssistant, calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    """While away a text gets the reply from its line, after a history check."""
    freezer.move_to("2026-11-26T12:00:00+00:00")
    await _use_away(blueprint_hass)
    await _text(blueprint_hass)
    assert [name for name, _ in calls] == [LIST_CALL, "sendblue.send_message"]
    lookup = calls[0][1]
    assert lookup["config_entry_id"] == ENTRY_ID
    assert lookup["number"] == SENDER
    assert lookup["is_outbound"] is True
    assert lookup["limit"] == 100
    assert lookup["created_at_gte"] == datetime(2026, 11, 26, tzinfo=UTC)
    assert calls[1] == REPLY_CALL


@pytest.mark.usefixtures("fake_actions")
async def test_away_replies_once_per_cooldown(
    blueprint_hass: HomeAssistant,
    calls: Calls,
    responses: dict[str, Callable[[ServiceCall], ServiceResponse]],
) -> None:
    """A sender who already had the reply in the cooldown gets no second one."""
    responses["list_messages"] = lambda _: {
        "messages": [{"content": "Unrelated"}, {"content": REPLY}]
    }
    await _use_away(blueprint_hass)
    await _text(blueprint_hass)
    assert [name for name, _ in calls] == [LIST_CALL]


@pytest.mark.usefixtures("fake_actions")
async def test_away_without_cooldown_always_replies(
    blueprint_hass: HomeAssistant,
    calls: Calls,
    responses: dict[str, Callable[[ServiceCall], ServiceResponse]],
) -> None:
    """A cooldown of 0 answers every text."""
    responses["list_messages"] = lambda _: {"messages": [{"content": REPLY}]}
    await _use_away(blueprint_hass, cooldown=0)
    await _text(blueprint_hass)
    assert calls[-1] == REPLY_CALL


@pytest.mark.usefixtures("fake_actions")
async def test_away_replies_when_history_fails(
    blueprint_hass: HomeAssistant,
    calls: Calls,
    responses: dict[str, Callable[[ServiceCall], ServiceResponse]],
) -> None:
    """Without the message history the reply still goes out."""

    def fail(call: ServiceCall) -> ServiceResponse:
        raise HomeAssistantError(call.data["number"])

    responses["list_messages"] = fail
    await _use_away(blueprint_hass)
    await _text(blueprint_hass)
    assert [name for name, _ in calls] == [LIST_CALL, "sendblue.send_message"]
    assert calls[1] == REPLY_CALL


@pytest.mark.usefixtures("fake_actions")
async def test_away_answers_allowed_senders_of_the_account(
    blueprint_hass: HomeAssistant, calls: Calls
) -> None:
    """With a sender list and an account, only those get the reply."""
    await _use_away(
        blueprint_hass,
        allowed_senders=["+1 999 888 7777"],
        config_entry=ENTRY_ID,
        away_state="on",
    )
    await _text(blueprint_hass, from_number="+14155550100")
    await _text(blueprint_hass, config_entry_id=OTHER_ENTRY_ID)
    assert calls == []
    await _text(blueprint_hass)
    assert calls[-1] == REPLY_CALL


@pytest.mark.parametrize(
    "changes",
    [
        {"is_group": True, "group_id": "group-1"},
        {"from_number": None},
        {"content": f"  {REPLY}\n"},
    ],
)
@pytest.mark.usefixtures("fake_actions")
async def test_away_never_loops(
    blueprint_hass: HomeAssistant, calls: Calls, changes: dict[str, Any]
) -> None:
    """Group chats, texts without a sender and our own reply get no answer."""
    await _use_away(blueprint_hass)
    await _text(blueprint_hass, **changes)
    assert calls == []


@pytest.mark.usefixtures("fake_actions")
async def test_away_only_while_away(
    blueprint_hass: HomeAssistant, calls: Calls
) -> None:
    """At home nobody gets the reply; a person entity works as the away entity."""
    blueprint_hass.states.async_set("person.me", "home")
    await _use_away(blueprint_hass, away_entity="person.me", away_state="not_home")
    await _text(blueprint_hass)
    assert calls == []
    blueprint_hass.states.async_set("person.me", "not_home")
    await _text(blueprint_hass)
    assert calls[-1] == REPLY_CALL
