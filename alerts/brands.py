"""BrandDetectors: the detector state of the (tenant, brand)s this alert worker owns.

mentions.enriched and alerts.commands are keyed by (tenant, brand) (schemas/topics.py), so
a brand's mentions and commands come from partitions of one number, owned by one worker of
the group. Each owned brand has its own detector (baselines, open incidents): gaining a
partition rebuilds only the brands whose key falls on it (`adopt`: a warm-up of that brand
alone, alerts/warmup.py), losing one forgets them (`forget`), and the others are untouched.

A mention of a brand not adopted (no longer configured, or read from a message keyed by
mention id, as before the key changed) starts a cold detector for it.
"""

from collections.abc import Callable, Iterable
from datetime import datetime

import msgspec

from alerts.detection.detector import AlertDetector
from alerts.detection.incidents import Transition
from alerts.detection.observation import Observation

Brand = tuple[str, str]
"""(tenant, brand id)."""


class BrandDetectors:
    def __init__(
        self,
        make: Callable[[], AlertDetector],
        warm: Callable[[AlertDetector, str, str, datetime | None], list[Transition]] | None = None,
    ) -> None:
        """`make`: a fresh, empty detector; `warm(detector, tenant, brand, until)`: feeds one
        brand's history before `until` into it and returns the transitions to publish again
        (alerts/warmup.py; may raise: the brand is then not adopted, and is tried again)."""
        self._make = make
        self._warm = warm
        self._detectors: dict[Brand, AlertDetector] = {}

    def owned(self) -> set[Brand]:
        return set(self._detectors)

    def adopt(
        self, brands: Iterable[tuple[Brand, datetime | None]]
    ) -> tuple[list[Brand], list[Transition]]:
        """Rebuild each (brand, until) not yet held; return those rebuilt, and the
        transitions to publish again."""
        rebuilt: list[Brand] = []
        again: list[Transition] = []
        for key, until in brands:
            if key in self._detectors:
                continue
            detector = self._make()
            if self._warm is not None:
                again.extend(self._warm(detector, *key, until))
            self._detectors[key] = detector
            rebuilt.append(key)
        return rebuilt, again

    def forget(self, brands: Iterable[Brand]) -> None:
        for key in brands:
            self._detectors.pop(key, None)

    def observe(self, obs: Observation, brand: str) -> None:
        """File `obs` for one of its brands (the copy of the mention keyed by that brand)."""
        key = (obs.tenant, brand)
        detector = self._detectors.get(key)
        if detector is None:
            detector = self._detectors[key] = self._make()
        detector.observe(msgspec.structs.replace(obs, brands=(brand,)))

    def advance(self, watermark: float) -> list[Transition]:
        return [t for d in self._detectors.values() for t in d.advance(watermark)]

    def resolve(self, tenant: str, brand: str, incident_id: str, by: str) -> Transition | None:
        detector = self._detectors.get((tenant, brand))
        return None if detector is None else detector.resolve(tenant, brand, incident_id, by)

    def open_incidents(self) -> int:
        return sum(d.open_incidents() for d in self._detectors.values())
