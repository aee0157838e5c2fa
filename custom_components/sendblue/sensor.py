"""Sensors for Sendblue lines and the account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.typing import StateType

from .api import LineStatus
from .const import SIGNAL_RECEIVE_MODE, ReceiveMode
from .data import LineActivity, SendblueConfigEntry, SendblueData, SendblueLine
from .entity import (
    SendblueEntity,
    SendblueLineEntity,
    account_device_info,
    async_add_line_entities,
)

PARALLEL_UPDATES = 0
# An activity sensor writes at most once per interval (seconds): in a burst of
# texts it shows the first at once and the latest at the end of each interval.
ACTIVITY_WRITE_INTERVAL = 1.0

# Auto is a choice, not a mode in use: the sensor shows what auto picked.
RECEIVE_MODE_OPTIONS = [
    mode.value for mode in ReceiveMode if mode is not ReceiveMode.AUTO
]
# An unknown status is the sensor's own unknown state, not a fourth option.
LINE_STATUS_OPTIONS = [
    status.value.lower() for status in LineStatus if status is not LineStatus.UNKNOWN
]


def _line_status(line: SendblueLine) -> str | None:
    """Return the line's status as an option, None when Sendblue does not know."""
    status = line.status
    return None if status is LineStatus.UNKNOWN else status.value.lower()


@dataclass(frozen=True, kw_only=True)
class SendblueLineSensorDescription(SensorEntityDescription):
    """Describes a sensor of one line."""

    value_fn: Callable[[SendblueLine, LineActivity], StateType | datetime]
    # Activity is seen live, with the line's events, not by polling; after a
    # restart it is restored from the last state.
    restore_fn: Callable[[LineActivity, datetime], None] | None = None


@dataclass(frozen=True, kw_only=True)
class SendblueAccountSensorDescription(SensorEntityDescription):
    """Describes a sensor of the account."""

    value_fn: Callable[[SendblueData], StateType]


def _set_received(activity: LineActivity, when: datetime) -> None:
    activity.last_received = activity.last_received or when


def _set_sent(activity: LineActivity, when: datetime) -> None:
    activity.last_sent = activity.last_sent or when


LINE_SENSORS: tuple[SendblueLineSensorDescription, ...] = (
    SendblueLineSensorDescription(
        key="status",
        translation_key="line_status",
        device_class=SensorDeviceClass.ENUM,
        options=LINE_STATUS_OPTIONS,
        value_fn=lambda line, _: _line_status(line),
    ),
    SendblueLineSensorDescription(
        key="last_received",
        translation_key="last_received",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda _, activity: activity.last_received,
        restore_fn=_set_received,
    ),
    SendblueLineSensorDescription(
        key="last_sent",
        translation_key="last_sent",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda _, activity: activity.last_sent,
        restore_fn=_set_sent,
    ),
    SendblueLineSensorDescription(
        key="new_contacts_remaining_today",
        translation_key="new_contacts_remaining_today",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda line, _: (
            line.usage.daily.remaining if line.usage and line.usage.daily else None
        ),
    ),
    SendblueLineSensorDescription(
        key="new_contacts_remaining_hour",
        translation_key="new_contacts_remaining_hour",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda line, _: (
            line.usage.hourly.remaining if line.usage and line.usage.hourly else None
        ),
    ),
)

ACCOUNT_SENSORS: tuple[SendblueAccountSensorDescription, ...] = (
    SendblueAccountSensorDescription(
        key="contacts",
        translation_key="contacts",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.contacts,
    ),
)


# Counted as the outbox changes, and shown while Sendblue is away: that is when
# it matters.
QUEUED_SENSOR = SensorEntityDescription(
    key="queued",
    translation_key="queued",
    state_class=SensorStateClass.MEASUREMENT,
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SendblueConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of the account and of every line."""
    async_add_entities(
        SendblueAccountSensor(entry, description) for description in ACCOUNT_SENSORS
    )
    async_add_entities([SendblueReceiveModeSensor(entry)])
    async_add_entities([SendblueQueuedSensor(entry, QUEUED_SENSOR)])
    async_add_line_entities(
        entry,
        async_add_entities,
        lambda line: (
            SendblueLineSensor(entry, description, line) for description in LINE_SENSORS
        ),
    )


class SendblueAccountSensor(SendblueEntity, SensorEntity):
    """A sensor of the account."""

    entity_description: SendblueAccountSensorDescription

    def __init__(
        self, entry: SendblueConfigEntry, description: SendblueAccountSensorDescription
    ) -> None:
        """Initialize the sensor."""
        super().__init__(entry, key=description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.coordinator.data)


class SendblueReceiveModeSensor(SendblueEntity, SensorEntity):
    """How the account receives: the mode in use, as auto chose it."""

    _attr_translation_key = "receive_mode"
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = RECEIVE_MODE_OPTIONS
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, entry: SendblueConfigEntry) -> None:
        """Initialize the sensor."""
        super().__init__(entry, key="receive_mode")

    async def async_added_to_hass(self) -> None:
        """Follow a change of receiver while the entry runs (a fallback)."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                SIGNAL_RECEIVE_MODE.format(entry_id=self.entry.entry_id),
                self.async_write_ha_state,
            )
        )

    @property
    def native_value(self) -> str:
        """Return the mode in use."""
        receiver = self.entry.runtime_data.receiver
        return (receiver.mode if receiver else ReceiveMode.OFF).value


class SendblueQueuedSensor(SensorEntity):
    """How many messages the outbox holds; available even while Sendblue is not."""

    _attr_has_entity_name = True

    def __init__(
        self, entry: SendblueConfigEntry, description: SensorEntityDescription
    ) -> None:
        """Initialize the sensor on the account device."""
        self.entity_description = description
        self._outbox = entry.runtime_data.outbox
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = account_device_info(entry)

    async def async_added_to_hass(self) -> None:
        """Follow the outbox."""
        self.async_on_remove(self._outbox.async_add_listener(self.async_write_ha_state))

    @property
    def native_value(self) -> int:
        """Return how many messages wait to go out."""
        return self._outbox.queued


class SendblueLineSensor(SendblueLineEntity, RestoreSensor):
    """A sensor of one line."""

    entity_description: SendblueLineSensorDescription
    _shown: StateType | datetime = None
    # Set while the last write is less than ACTIVITY_WRITE_INTERVAL old.
    _cooling: CALLBACK_TYPE | None = None

    def __init__(
        self,
        entry: SendblueConfigEntry,
        description: SendblueLineSensorDescription,
        line: str,
    ) -> None:
        """Initialize the sensor."""
        super().__init__(entry, key=description.key, line=line)
        self.entity_description = description

    async def async_added_to_hass(self) -> None:
        """Restore and follow when the line last received or sent a message."""
        await super().async_added_to_hass()
        if (restore := self.entity_description.restore_fn) is None:
            return
        last = await self.async_get_last_sensor_data()
        if last and isinstance(last.native_value, datetime):
            restore(self.entry.runtime_data.activity.of(self.line), last.native_value)
        self._shown = self.native_value
        self.async_listen_line_activity(self._async_activity)
        self.async_on_remove(self._async_stop_cooling)

    @callback
    def _async_activity(self) -> None:
        """Show the line's activity, if it changed, at most once an interval."""
        # A text a second is plenty for a timestamp; the end of the interval
        # shows the latest. Restoring reads native_value, so it is never behind.
        if self._cooling is None:
            self._async_show_change()

    @callback
    def _async_show_change(self) -> None:
        """Write the state if the value moved, then hold further writes a while."""
        # Every text fires one event; only the sensor whose time moved writes.
        if (value := self.native_value) == self._shown:
            return
        self._shown = value
        self.async_write_ha_state()
        self._cooling = async_call_later(
            self.hass, ACTIVITY_WRITE_INTERVAL, self._async_cooled
        )

    @callback
    def _async_cooled(self, _now: datetime) -> None:
        """Show what changed while writes were held."""
        self._cooling = None
        self._async_show_change()

    @callback
    def _async_stop_cooling(self) -> None:
        """Drop a held write: the entity is going away."""
        if self._cooling is not None:
            self._cooling()
            self._cooling = None

    @property
    def native_value(self) -> StateType | datetime:
        """Return the sensor's value."""
        line = self.coordinator.data.lines.get(self.line)
        if line is None:
            return None
        return self.entity_description.value_fn(
            line, self.entry.runtime_data.activity.of(self.line)
        )
