"""Every command validates the configuration the same way at start: one message, exit 2, no
traceback, no secret echoed; a secret written in the file is warned about once."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from veille.cli import build_parser, main, worker_names
from veille.runner import WORKERS

ROOT = Path(__file__).resolve().parents[2]
TENANTS = [{"id": "agence-horizon", "name": "A", "brands": [
    {"id": "b", "name": "B", "queries": [{"id": "q", "query": "volaris (retard"}]}]}]  # fmt: skip
WORKER_COMMANDS = [["ingest", "run"], ["ingest", "push"], ["enrich", "run"], ["enrich", "index"],
                   ["alerts", "run"], ["run"], ["config", "check"], ["setup"]]  # fmt: skip


def veille(
    config: Path, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    command = [sys.executable, "-m", "veille.cli", "--config", str(config), *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=environ,
                          check=False)  # fmt: skip


def test_veille_run_with_no_names_runs_every_worker() -> None:
    args = build_parser().parse_args(["run"])
    assert worker_names(args) == WORKERS
    assert worker_names(build_parser().parse_args(["run", "index", "alerts"])) == (
        "index",
        "alerts",
    )
    assert worker_names(build_parser().parse_args(["alerts", "run"])) == ("alerts",)


def test_veille_run_refuses_an_unknown_worker(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["run", "enrich", "pager"])
    assert exit_.value.code == 2 and "unknown worker 'pager'" in capsys.readouterr().err


@pytest.mark.parametrize("argv", WORKER_COMMANDS, ids=" ".join)
def test_a_bad_brand_query_is_one_clean_line_at_every_start(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "veille.yaml"
    path.write_text(yaml.safe_dump({"tenants": TENANTS}))
    assert main(["--config", str(path), *argv]) == 2  # before any broker is reached
    err = capsys.readouterr().err
    assert err == (f"veille: {path}: brand query: unclosed parenthesis at position 8 in query "
                   "'volaris (retard'\n")  # fmt: skip


def test_a_worker_started_with_a_bad_query_prints_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "veille.yaml"
    path.write_text(yaml.safe_dump({"tenants": TENANTS}))
    for argv in (["ingest", "push"], ["alerts", "run"]):
        done = veille(path, *argv)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("argv", [*WORKER_COMMANDS, ["stack", "status"]], ids=" ".join)
def test_a_yaml_error_is_named_never_echoed_by_every_command(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "veille.yaml"
    path.write_text("elasticsearch:\n  password: [hunter2\n")
    assert main(["--config", str(path), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"veille: {path}: not valid YAML at line 3, column 1")
    assert "hunter2" not in err and len(err.splitlines()) == 1


def test_a_secret_from_the_environment_never_reaches_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "veille.yaml"
    path.write_text(yaml.safe_dump({"tenants": [{**TENANTS[0], "brands": [
        {"id": "b", "name": "B", "queries": [{"id": "q", "query": "volaris"}]}]}]}))  # fmt: skip
    env = {"VEILLE__INGEST__PUSH__TOKENS__AGENCE_HORIZONN": "[s3cret",
           "VEILLE__KAFKA__SASL_PASSWORD": "@s3cret"}  # fmt: skip
    done = veille(path, "config", "check", env=env)
    assert done.returncode == 2 and "unknown tenant 'agence_horizonn'" in done.stderr
    assert "s3cret" not in done.stderr + done.stdout and "Traceback" not in done.stderr


def test_a_secret_in_the_file_is_warned_about_once_without_its_value(tmp_path: Path) -> None:
    path = tmp_path / "veille.yaml"
    tenants = [{**TENANTS[0], "brands": [
        {"id": "b", "name": "B", "queries": [{"id": "q", "query": "volaris"}]}]}]  # fmt: skip
    path.write_text(yaml.safe_dump({"tenants": tenants, "elasticsearch": {"password": "s3cret"}}))
    done = veille(path, "config", "check")
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "WARNING" in line]
    assert (
        len(warnings) == 1
        and "elasticsearch.password is a secret written in the file" in warnings[0]
    )
    assert "VEILLE__ELASTICSEARCH__PASSWORD" in warnings[0]
    assert "s3cret" not in done.stderr + done.stdout
