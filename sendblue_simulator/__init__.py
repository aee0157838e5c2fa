"""A local Sendblue API simulator for tests, demos and benchmarks (never shipped)."""

from .clock import Clock, ManualClock, RealClock
from .control import SimulatorControl
from .faults import FaultKind
from .server import Simulator
from .state import SimulatorConfig
from .testing import WebhookReceiver, start_simulator, start_webhook_receiver

__all__ = [
    "Clock",
    "FaultKind",
    "ManualClock",
    "RealClock",
    "Simulator",
    "SimulatorConfig",
    "SimulatorControl",
    "WebhookReceiver",
    "start_simulator",
    "start_webhook_receiver",
]
