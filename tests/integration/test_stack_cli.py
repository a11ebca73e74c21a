"""`veille stack up|status|down` as a user runs it: health-checked, topics and templates
created, a clear error when a port is taken, and no process left behind."""

import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from kafka import KafkaAdminClient

from tests.helpers import free_port
from veille.stack import port_in_use, process_alive

pytestmark = pytest.mark.integration


def veille(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "veille.cli", "--config", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def write_config(path: Path, data_dir: Path, kafka_port: int, es_port: int) -> Path:
    config = {
        "stack": {"data_dir": str(data_dir), "kafka_port": kafka_port,
                  "elasticsearch_port": es_port},
        "kafka": {"bootstrap_servers": f"127.0.0.1:{kafka_port}", "topic_prefix": "cli."},
        "elasticsearch": {"hosts": [f"http://127.0.0.1:{es_port}"]},
        "tenants": [{"id": "t", "name": "T", "brands": [
            {"id": "b", "name": "B", "queries": [{"id": "q", "query": "b"}]}]}],
    }  # fmt: skip
    path.write_text(yaml.safe_dump(config))
    return path


def test_stack_up_status_down(tmp_path: Path) -> None:
    kafka_port, es_port = free_port(), free_port()
    config = write_config(tmp_path / "veille.yaml", tmp_path / "data", kafka_port, es_port)
    up = veille(config, "stack", "up")
    try:
        assert up.returncode == 0, up.stderr
        assert "running" in up.stdout
        status = veille(config, "stack", "status")
        assert status.returncode == 0 and f"127.0.0.1:{kafka_port}  up" in status.stdout
        admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{kafka_port}")
        topics = set(admin.list_topics())
        admin.close()
        assert {"cli.mentions.raw", "cli.mentions.enriched", "cli.mentions.dlq",
                "cli.alerts.incidents"} <= topics  # fmt: skip
        template = httpx.get(f"http://127.0.0.1:{es_port}/_index_template/veille-mentions-t")
        assert template.status_code == 200
        pid = int(status.stdout.split("pid ")[1].split(")")[0])
    finally:
        down = veille(config, "stack", "down")
    assert down.returncode == 0, down.stderr
    assert not port_in_use("127.0.0.1", kafka_port)
    assert not port_in_use("127.0.0.1", es_port)
    assert not process_alive(pid)
    assert veille(config, "stack", "status").returncode == 1


def test_stack_up_on_a_taken_port_says_which_setting_to_change(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path / "veille.yaml", tmp_path / "data", port, free_port())
        up = veille(config, "stack", "up")
    assert up.returncode == 1
    assert f"port {port}" in up.stderr and "stack.kafka_port" in up.stderr
