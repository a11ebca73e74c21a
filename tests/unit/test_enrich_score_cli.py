"""`veille enrich score --input FILE --output FILE`: one JSON line per input, in order."""

import json
from pathlib import Path

import pytest
import yaml

from veille.cli import main

TENANTS = [{"id": "t", "name": "T", "brands": [{"id": "b", "name": "B",
            "queries": [{"id": "q", "query": "b"}]}]}]  # fmt: skip


def write_config(tmp_path: Path, enrich: dict[str, object]) -> Path:
    path = tmp_path / "veille.yaml"
    path.write_text(yaml.safe_dump({"tenants": TENANTS, "enrich": enrich}))
    return path


def run_score(config: Path, source: Path, output: Path) -> list[dict[str, object]]:
    code = main(["--config", str(config), "enrich", "score",
                 "--input", str(source), "--output", str(output)])  # fmt: skip
    assert code == 0
    return [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]


def test_plain_lines_with_the_lexicon_fallback(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("c'est honteux\n\nmerci, génial\nrien\n", encoding="utf-8")
    out = run_score(write_config(tmp_path, {"scorer": "lexicon"}), source, tmp_path / "o.jsonl")
    assert [r["text"] for r in out] == ["c'est honteux", "merci, génial", "rien"]
    assert [r["label"] for r in out] == ["negative", "positive", "neutral"]
    assert {r["model"] for r in out} == {"lexicon:vadersentiment-fr"}


def test_a_jsonl_row_without_text_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "ok"}\n{"body": "no text"}\n')
    config = write_config(tmp_path, {"scorer": "lexicon"})
    code = main(["--config", str(config), "enrich", "score", "--input", str(source),
                 "--output", str(tmp_path / "o.jsonl")])  # fmt: skip
    assert code == 2


def test_a_model_that_cannot_load_stops_the_command_loudly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.txt"
    source.write_text("bonjour\n")
    config = write_config(tmp_path, {"model": {"path": str(tmp_path / "no-such-model")}})
    code = main(["--config", str(config), "enrich", "score", "--input", str(source),
                 "--output", str(tmp_path / "o.jsonl")])  # fmt: skip
    assert code == 1
    assert "cannot load sentiment model" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()  # nothing scored by anything else


def test_the_output_keeps_a_hostile_text_but_its_bytes_are_safe_to_print(tmp_path: Path) -> None:
    text = "\x1b[31mrouge\x1b[0m vol annulé \u202eesrever\u202c\x85fin"
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "h", "text": text}) + "\n", encoding="utf-8")
    output = tmp_path / "o.jsonl"
    out = run_score(write_config(tmp_path, {"scorer": "lexicon"}), source, output)
    assert out[0]["text"] == text  # the data is the input's
    raw = output.read_bytes()
    assert b"\x1b" not in raw and "\u202e".encode() not in raw and "\x85".encode() not in raw
    assert "annulé".encode() in raw
