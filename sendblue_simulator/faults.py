"""Fault injection for the next N requests or a seeded share of requests."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    """What a faulty request gets."""

    RATE_LIMIT = "rate_limit"  # 429 with Retry-After
    SERVER_ERROR = "server_error"  # 500
    UNAVAILABLE = "unavailable"  # 503
    DELAY = "delay"  # answer only after delay_ms (past the caller's timeout)
    RESET = "reset"  # close the connection without an answer


@dataclass
class FaultRule:
    """One fault for `count` requests or a `probability` share (after: once handled)."""

    kind: FaultKind
    count: int | None = None
    probability: float | None = None
    path_prefix: str | None = None
    retry_after: int = 1
    delay_ms: int = 5000
    after: bool = False
    hits: int = 0

    def matches(self, path: str) -> bool:
        """Tell whether the rule covers path."""
        return self.path_prefix is None or path.startswith(self.path_prefix)

    def exhausted(self) -> bool:
        """Tell whether the rule has used up its count."""
        return self.count is not None and self.hits >= self.count

    def as_json(self) -> dict[str, Any]:
        """Describe the rule for the control API."""
        return {
            "kind": str(self.kind),
            "count": self.count,
            "probability": self.probability,
            "path_prefix": self.path_prefix,
            "retry_after": self.retry_after,
            "delay_ms": self.delay_ms,
            "after": self.after,
            "hits": self.hits,
        }


class FaultInjector:
    """Picks the fault (if any) for each request, reproducibly for a given seed."""

    def __init__(self, seed: int | None) -> None:
        """Start without rules."""
        self._seed = seed
        self.rules: list[FaultRule] = []
        self._rng = random.Random(seed)  # noqa: S311 -- simulation, not cryptography

    def reset(self) -> None:
        """Drop all rules and restart the random sequence."""
        self.rules.clear()
        self._rng = random.Random(self._seed)  # noqa: S311 -- simulation, not cryptography

    def add(self, rule: FaultRule) -> FaultRule:
        """Add a rule (rules are checked in the order added)."""
        if rule.count is None and rule.probability is None:
            rule.count = 1
        self.rules.append(rule)
        return rule

    def pick(self, path: str, *, after_allowed: bool = True) -> FaultRule | None:
        """Return the fault for a request to path, consuming counts."""
        for rule in self.rules:
            if (
                not rule.matches(path)
                or rule.exhausted()
                or (rule.after and not after_allowed)
            ):
                continue
            if rule.probability is not None and self._rng.random() >= rule.probability:
                continue
            rule.hits += 1
            return rule
        return None
