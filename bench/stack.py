"""The embedded stack a benchmark runs on: fresh, on free loopback ports, removed after."""

import os
import subprocess
import sys
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


Layout = tuple[tuple[str, int], ...]
"""(the `veille run` worker names of one process, e.g. "enrich" or "enrich stories", how
many such processes)."""
PER_STAGE: Layout = (("enrich", 2), ("stories", 1), ("index", 1), ("alerts", 1))
"""Each stage in processes of its own, as deploy/ runs them; two inference workers (one
torch thread each: `enrich.model.cpu_threads: 1` in the config) share the raw partitions."""


@contextmanager
def worker_processes(
    path: Path, folder: Path, layout: Layout, env: dict[str, dict[str, str]] | None = None
) -> Iterator[dict[str, list[subprocess.Popen[bytes]]]]:
    """`veille --config path run …` processes as `layout` says, logs in `folder`; `env`:
    extra environment by worker names (a metrics port for one of them). Terminated and
    waited for on exit."""
    processes: dict[str, list[subprocess.Popen[bytes]]] = {}
    try:
        for names, count in layout:
            for i in range(count):
                log = open(folder / f"{names.replace(' ', '-')}-{i}.log", "wb")  # noqa: SIM115
                processes.setdefault(names, []).append(subprocess.Popen(
                    [sys.executable, "-m", "veille.cli", "--config", str(path), "run",
                     *names.split()], stdout=log, stderr=subprocess.STDOUT,
                    env={**os.environ, **(env or {}).get(names, {})},
                ))  # fmt: skip
        yield processes
    finally:
        every = [p for group in processes.values() for p in group]
        for process in every:
            process.terminate()
        for process in every:
            process.wait(60)
