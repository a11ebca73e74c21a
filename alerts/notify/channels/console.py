"""Console channel: the notification printed on standard output (the demo, a terminal)."""

import sys
from typing import TextIO

from alerts.notify.contract import Delivery, Notification
from alerts.notify.text import page_text


class ConsoleChannel:
    deduplicates = False

    def __init__(self, name: str, out: TextIO | None = None) -> None:
        self.name = name
        self._out = out

    def send(self, notification: Notification) -> Delivery:
        marker = "🚨 PAGE" if notification.action == "trigger" else "ℹ️  NOTE"
        print(f"\n{marker} {page_text(notification)}\n", file=self._out or sys.stdout, flush=True)
        return Delivery(self.name, None, "printed")
