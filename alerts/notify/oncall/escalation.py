"""An escalation policy as a plan: which targets are notified at which delay after the
incident's first notification, should nobody acknowledge. The notifier owns the timers and
stops every pending step at the acknowledgement; this is the pure plan.

Round r (1 … repeat + 1) runs the levels in order; level n's step comes after the delays of
every level before it, in this round and the earlier ones; a level with `notify_previous`
also names the earlier levels' targets (after its own, de-duplicated).
"""

from dataclasses import dataclass
from datetime import timedelta

from schemas.config import OnCallSettings


@dataclass(frozen=True)
class EscalationStep:
    index: int
    """0, 1, 2 … across levels and repeats."""
    delay: timedelta
    """After the incident's first notification."""
    level: int
    """1-based level of the policy."""
    targets: tuple[str, ...]
    """Schedule ids or person ids, resolved by `recipients` when the step fires."""
    reason: str
    """Why, in French: "niveau 2 : pas d'acquittement après 15 min (tour 1/3)"."""


def escalation_steps(oncall: OnCallSettings, policy_id: str) -> tuple[EscalationStep, ...]:
    policy = oncall.policy(policy_id)
    rounds = policy.repeat + 1
    steps: list[EscalationStep] = []
    elapsed = 0
    for round_number in range(1, rounds + 1):
        for number, level in enumerate(policy.levels, start=1):
            targets = list(dict.fromkeys(level.targets))
            if level.notify_previous:
                for earlier in policy.levels[: number - 1]:
                    targets.extend(t for t in earlier.targets if t not in targets)
            steps.append(
                EscalationStep(
                    index=len(steps),
                    delay=timedelta(minutes=elapsed),
                    level=number,
                    targets=tuple(targets),
                    reason=_reason(number, elapsed, round_number, rounds),
                )
            )
            elapsed += level.delay_minutes
    return tuple(steps)


def _reason(level: int, elapsed: int, round_number: int, rounds: int) -> str:
    tour = f"(tour {round_number}/{rounds})"
    if elapsed == 0:
        return f"niveau {level} : première notification {tour}"
    if level == 1:
        return f"niveau 1 : pas d'acquittement après {elapsed} min, nouveau tour {tour}"
    return f"niveau {level} : pas d'acquittement après {elapsed} min {tour}"
