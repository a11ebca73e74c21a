"""The embedded stack a benchmark runs on: fresh, on free loopback ports, removed after."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from schemas.config import StackSettings
from tests.helpers import free_port
from veille.stack import EmbeddedStack


@contextmanager
def temporary_stack() -> Iterator[tuple[EmbeddedStack, Path]]:
    """A started EmbeddedStack (noida-db for Kafka and Elasticsearch) in a temporary folder,
    and that folder (for the benchmark's own files); stopped and deleted on exit."""
    with tempfile.TemporaryDirectory(prefix="veille-bench-") as name:
        folder = Path(name)
        stack = EmbeddedStack(StackSettings(data_dir=str(folder / "noida"),
                                            kafka_port=free_port(),
                                            elasticsearch_port=free_port()))  # fmt: skip
        stack.up()
        try:
            yield stack, folder
        finally:
            stack.down()
