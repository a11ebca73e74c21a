"""Workers running in threads of this process: whether they are alive and ready, why not,
how they are stopped (`RunningWorkers`, made by veille/runner.py's `start_workers`), and the
signals that stop them."""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from runtime.stream import StreamWorker


@dataclass
class RunningWorkers:
    """Workers running in threads; `stop()` asks them to finish and waits."""

    stop_event: threading.Event
    workers: dict[str, Any] = field(default_factory=dict)
    threads: list[threading.Thread] = field(default_factory=list)
    failures: dict[str, BaseException] = field(default_factory=dict)

    def stop(self, timeout_s: float = 30.0) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout_s)

    def alive(self) -> bool:
        return all(thread.is_alive() for thread in self.threads)

    def not_ready(self, max_lag: int) -> list[str]:
        """Why `/readyz` fails (empty: ready): a worker stopped or failed, or a stream worker
        not assigned or behind by more than `max_lag` (StreamWorker.not_ready)."""
        reasons = [f"{name}: failed: {exc}" for name, exc in self.failures.items()]
        if self.stop_event.is_set():
            reasons.append("stopping")
        for (name, worker), thread in zip(self.workers.items(), self.threads, strict=True):
            if not thread.is_alive():
                reasons.append(f"{name}: stopped")
            elif isinstance(worker, StreamWorker):
                reasons.extend(worker.not_ready(max_lag))
        return reasons

    @property
    def failed(self) -> bool:
        """A worker stopped for good (its error was logged; the process must exit non-zero)."""
        return bool(self.failures)

    def ready(self) -> bool:
        """Every worker runs, none failed, and each stream worker's last poll was answered
        (false while the broker is unreachable). What a readiness probe reports."""
        return (
            not self.failed
            and self.alive()
            and all(
                w.state == "ready" for w in self.workers.values() if isinstance(w, StreamWorker)
            )
        )


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """While inside, SIGINT (Ctrl-C) and SIGTERM (docker stop, systemd) set `stop`: the
    workers finish their batch, commit, and leave their groups cleanly."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda signum, frame: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
