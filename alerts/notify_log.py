"""NotifyLog: the dedup keys of pages already delivered, so a retried or replayed batch
never pages twice. Kept in memory by this first version (bounded, oldest forgotten first)."""

from collections import OrderedDict


class NotifyLog:
    def __init__(self, capacity: int = 100_000) -> None:
        self._sent: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def __contains__(self, key: str) -> bool:
        return key in self._sent

    def record(self, key: str) -> None:
        self._sent[key] = None
        self._sent.move_to_end(key)
        while len(self._sent) > self._capacity:
            self._sent.popitem(last=False)
