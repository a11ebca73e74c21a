"""Console channel: the page printed on standard output."""

import sys

from alerts.channels.base import page_text
from schemas.incident import IncidentEvent


class ConsoleChannel:
    def __init__(self, name: str) -> None:
        self.name = name

    def send(self, event: IncidentEvent) -> None:
        print(f"\n🚨 PAGE {page_text(event)}\n", file=sys.stdout, flush=True)
