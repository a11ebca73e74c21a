"""`veille alerts replay`: the batch engine equals the live monitor; the command's contract."""

import json
from pathlib import Path

import pytest

from alerts.batch import replay_batch, replay_bytes
from alerts.observation import DECODER
from alerts.replay import replay_observations
from bench.scenarios import enriched_line, generate
from schemas.config import DetectionRule
from schemas.enriched import EnrichedMention
from veille.cli import main

RULE = DetectionRule()


def transitions_key(transitions: list) -> list:  # type: ignore[type-arg]
    return [(t.event, t.at, t.incident) for t in transitions]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batch_engine_gives_what_the_live_monitor_gives(seed: int) -> None:
    scenario = generate(seed=seed, brands=4, weeks=3, warmup_weeks=2)
    live = replay_observations(scenario.observations, lambda t, b: RULE)
    batch = replay_batch(scenario.observations, lambda t, b: RULE)
    assert live, "the scenario should produce incidents"
    assert transitions_key(batch) == transitions_key(live)


def test_lines_decoded_by_forked_processes_give_the_same_transitions() -> None:
    scenario = generate(seed=2, brands=4, weeks=3, warmup_weeks=2)
    lines = [enriched_line(o) for o in scenario.observations]
    lines.insert(100, b"  ")  # a blank line is skipped, not an error
    decoded = [DECODER.decode(line) for line in lines if line.strip()]
    live = replay_observations(decoded, lambda t, b: RULE)
    forked = replay_bytes(b"\n".join(lines), lambda t, b: RULE, processes=2)
    assert live and transitions_key(forked) == transitions_key(live)
    cited = {m.id for t in forked for m in t.incident.top_mentions}
    assert cited and cited <= {o.id for o in decoded}  # decoded back from their lines


def test_equivalence_holds_for_other_rules_and_duplicates() -> None:
    scenario = generate(seed=9, brands=3, weeks=3, warmup_weeks=2)
    rule = DetectionRule(bucket_minutes=5, window_minutes=15, allowed_lateness_minutes=3,
                         rising_windows=1, opportunities=False)  # fmt: skip
    doubled = sorted(scenario.observations * 2, key=lambda o: o.published_at)  # redeliveries
    live = replay_observations(doubled, lambda t, b: rule)
    assert transitions_key(replay_batch(doubled, lambda t, b: rule)) == transitions_key(live)
    assert all(t.incident.kind == "crisis" for t in live)


@pytest.fixture
def enriched_file(tmp_path: Path) -> Path:
    scenario = generate(seed=4, brands=3, weeks=3, warmup_weeks=2)
    path = tmp_path / "enriched.jsonl"
    path.write_bytes(b"\n".join(enriched_line(o) for o in scenario.observations) + b"\n")
    EnrichedMention.model_validate_json(path.read_bytes().splitlines()[0])
    return path


def test_replay_command_writes_the_contract_fields_identically_run_to_run(
    enriched_file: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert main(["alerts", "replay", "--input", str(enriched_file), "--output", str(first)]) == 0
    assert main(["alerts", "replay", "--input", str(enriched_file), "--output", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    events = [json.loads(line) for line in first.read_text().splitlines()]
    assert events
    for event in events:
        assert {"event", "at", "tenant", "brand", "incident_id", "severity", "trigger"} <= set(
            event
        )
        assert event["event"] in {"opened", "escalated", "updated", "resolved"}
        assert event["at"].endswith("Z")
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    opened = {e["incident_id"] for e in events if e["event"] == "opened"}
    assert all(e["incident_id"] in opened for e in events)  # every event belongs to an opening


def test_replay_command_uses_the_configured_rule(enriched_file: Path, tmp_path: Path,
                                                 repo_root: Path) -> None:  # fmt: skip
    config = tmp_path / "veille.yaml"
    base = (repo_root / "veille.yaml").read_text()
    config.write_text(
        base.replace("    ratio: 5\n", "    ratio: 5\n    min_volume: 1000\n    viral_score: 100\n")
    )
    out = tmp_path / "none.jsonl"
    argv = ["--config", str(config), "alerts", "replay", "--input", str(enriched_file),
            "--output", str(out)]  # fmt: skip
    assert main(argv) == 0
    assert out.read_text() == ""  # nothing reaches a volume of 1,000


def test_a_bad_line_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    assert main(["alerts", "replay", "--input", str(bad), "--output", str(tmp_path / "o")]) == 1
    assert "line 1: not an enriched mention" in capsys.readouterr().err
