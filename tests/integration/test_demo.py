"""The main job, as `make run` starts it, run to completion: the crisis must be paged."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import free_port

pytestmark = pytest.mark.integration


def test_demo_once_pages_the_saturday_night_crisis(repo_root: Path, tmp_path: Path) -> None:
    config = yaml.safe_load((repo_root / "veille.yaml").read_text())
    kafka_port, es_port, feed_port = free_port(), free_port(), free_port()
    config["stack"] |= {"data_dir": str(tmp_path / "stack"), "kafka_port": kafka_port,
                        "elasticsearch_port": es_port}  # fmt: skip
    config["kafka"]["bootstrap_servers"] = f"127.0.0.1:{kafka_port}"
    config["elasticsearch"]["hosts"] = [f"http://127.0.0.1:{es_port}"]
    config["demo"]["listen_port"] = feed_port
    config["sources"][0]["url"] = f"http://127.0.0.1:{feed_port}/feed.xml"
    path = tmp_path / "veille.yaml"
    path.write_text(yaml.safe_dump(config))
    done = subprocess.run(
        [sys.executable, "-m", "veille.cli", "--config", str(path), "demo", "--once",
         "--speed", "12000"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "PAGE [WARNING] opened: agence-horizon/air-volaris" in done.stdout
    assert "0 before the crisis began" in done.stdout
    assert "maison-lumen" not in done.stdout.split("PAGE")[1]  # the other client is not paged
    assert not (tmp_path / "stack" / "noida.control.json").exists() or "stopped" in (
        subprocess.run([sys.executable, "-m", "veille.cli", "--config", str(path), "stack",
                        "status"], capture_output=True, text=True, check=False).stdout
    )  # fmt: skip
