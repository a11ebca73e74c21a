"""The main job, as `make run` starts it, run to completion: the crisis must be paged."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import free_port

pytestmark = pytest.mark.integration


def test_demo_once_pages_the_saturday_night_crisis_every_run(
    repo_root: Path, tmp_path: Path
) -> None:
    config = yaml.safe_load((repo_root / "veille.yaml").read_text())
    kafka_port, es_port, feed_port = free_port(), free_port(), free_port()
    config["stack"] |= {"data_dir": str(tmp_path / "stack"), "kafka_port": kafka_port,
                        "elasticsearch_port": es_port}  # fmt: skip
    config["kafka"]["bootstrap_servers"] = f"127.0.0.1:{kafka_port}"
    config["elasticsearch"]["hosts"] = [f"http://127.0.0.1:{es_port}"]
    config["demo"]["listen_port"] = feed_port
    config["sources"][0]["url"] = f"http://127.0.0.1:{feed_port}/feed.xml"
    web_port = free_port()
    config["alerts"]["notify"]["web"] |= {"listen_port": web_port,
                                          "public_url": f"http://127.0.0.1:{web_port}"}  # fmt: skip
    path = tmp_path / "veille.yaml"
    path.write_text(yaml.safe_dump(config))
    for run in (1, 2):  # the second run in the same data directory pages again
        done = subprocess.run(
            [sys.executable, "-m", "veille.cli", "--config", str(path), "demo", "--once",
             "--speed", "12000"],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        out = done.stdout
        (tmp_path / f"run{run}.txt").write_text(out)
        assert done.returncode == 0, f"run {run}: " + out[-3000:] + done.stderr[-3000:]
        assert "le samedi soir (heure de Paris) : Camille Martin" in out
        assert "crise agence-horizon/air-volaris → Camille Martin\n  niveau 1 :" in out
        assert f"acquitter / résoudre : http://127.0.0.1:{web_port}/i/" in out
        assert "le niveau 2 est prévenu" in out
        assert "→ Sophie Bernard (responsable)" in out
        assert "la démo appuie elle-même sur « Acquitter »" in out
        assert "l'escalade s'arrête" in out
        assert "Direction de l'agence" not in out  # level 3 never fires after the ack
        assert "0 before the crisis began" in out
        assert "the incident page: http://127.0.0.1:" in out
        pages = out.split("PAGE")[1:]
        assert pages and all("maison-lumen" not in p for p in pages)  # the other client
        # the customers nobody answered, Friday and Saturday: told to the advisers as notes
        # (never pages), and counted on the progress line ("sans réponse")
        notes = re.findall(r"ℹ️  NOTE \[SANS RÉPONSE\] (\d+) post\(s\) en retard pour "
                           r"advisers \(agence-horizon\)\n(.*?)\n\n", out, re.S)  # fmt: skip
        assert notes and sum(int(n) for n, _ in notes) >= 5, out[-3000:]
        assert "· ven. 20/11" in notes[0][1] and "service_request" in notes[0][1]
        [pile] = re.findall(r"what waits for an answer: (\d+) post\(s\) past their due", out)
        assert int(pile) >= 5
        assert re.search(r"· sans réponse \d+ ·", out)  # counted on the progress line too
        after = out.split("weekend replayed")[1]
        assert "ingested" not in after  # the console stopped ticking through the next days
    assert not (tmp_path / "stack" / "noida.control.json").exists() or "stopped" in (
        subprocess.run([sys.executable, "-m", "veille.cli", "--config", str(path), "stack",
                        "status"], capture_output=True, text=True, check=False).stdout
    )  # fmt: skip
