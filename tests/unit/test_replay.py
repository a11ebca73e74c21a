"""`veille alerts replay`: the batch engine equals the live monitor; the command's contract."""

import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.detection.detector import replay_observations
from alerts.detection.observation import (
    DECODER,
    ClusterPart,
    Observation,
    SentimentPart,
    ViralityPart,
)
from alerts.replay.batch import replay_batch, replay_bytes
from bench.scenarios import enriched_line, generate
from schemas.config import DetectionSettings
from schemas.enriched import EnrichedMention
from veille.cli import main

RULE = DetectionSettings()


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
    rule = DetectionSettings(bucket_minutes=5, window_minutes=15, allowed_lateness_minutes=3,
                         rising_windows=1, opportunities=False)  # fmt: skip
    doubled = sorted(scenario.observations * 2, key=lambda o: o.published_at)  # redeliveries
    live = replay_observations(doubled, lambda t, b: rule)
    assert transitions_key(replay_batch(doubled, lambda t, b: rule)) == transitions_key(live)
    assert all(t.incident.kind == "crisis" for t in live)


@pytest.mark.parametrize(
    ("seed", "rule"),
    [
        (5, {"window_minutes": 90, "rising_windows": 3, "resolve_after_minutes": 30,
             "timezone": "America/New_York"}),  # windows over an hour long
        (6, {"bucket_minutes": 60, "window_minutes": 120, "rising_windows": 1, "min_volume": 2,
             "sensitivity": 2.0}),
        (8, {"rising_windows": 1, "ratio": 2, "escalate_factor": 1.2, "resolve_after_minutes": 5,
             "baseline_slot_weeks": 1}),  # many incidents, escalated and resolved quickly
        (10, {"ratio": 2, "burst_ratio": 4, "surprise_min": 1, "sustained_minutes": 4,
              "cooldown_minutes": 90, "escalate_factor": 1.2, "resolve_after_minutes": 5}),
        # both tracks open incidents, and cool-downs hold some back
    ],
)  # fmt: skip
def test_equivalence_holds_for_windows_runs_and_resolutions_of_any_length(
    seed: int, rule: dict[str, object]
) -> None:
    scenario = generate(seed=seed, brands=3, weeks=3, warmup_weeks=2)
    chosen = DetectionSettings.model_validate(rule)
    live = replay_observations(scenario.observations, lambda t, b: chosen)
    assert {t.event for t in live} == {"opened", "escalated", "updated", "resolved"}
    assert transitions_key(replay_batch(scenario.observations, lambda t, b: chosen)) == (
        transitions_key(live)
    )


def test_a_resolution_restarts_the_rising_run() -> None:
    # one negative post a minute, of signal 1 + virality/25; no baseline learned yet, so each
    # window expects the floor (1.0): a window of 1.2 to 1.5 is elevated yet near the baseline
    # (no Poisson floor, no sustained track, no cool-down: the rising run alone)
    rule = DetectionSettings(window_minutes=1, min_volume=1, ratio=1.2, burst_ratio=1.2,
                         rising_windows=2, resolve_after_minutes=1, opportunities=False,
                         baseline_floor=1.0, baseline_slot_weeks=6, baseline_warmup_hours=1000,
                         surprise_min=0, sustained_minutes=60, cooldown_minutes=0,
                         min_stories=1)  # fmt: skip
    viralities = [0, 50, 100, 5.25, 7.5, 80, 0, 7.5, 10, 11.25, 0]
    start = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    posts = [
        Observation(id=f"p{minute}", tenant="t", brands=("b",), published_at=at,
                    sentiment=SentimentPart(-0.8), virality=ViralityPart(virality))
        for minute, virality in enumerate([*viralities, 0])
        for at in [start + timedelta(minutes=minute if minute < len(viralities) else 30)]
    ]  # fmt: skip
    live = replay_observations(posts, lambda t, b: rule)
    assert [(t.event, t.at.minute, t.incident.trigger) for t in live] == [
        ("opened", 4, "negative_acceleration"), ("resolved", 6, "negative_acceleration"),
        ("opened", 7, "viral_post"),  # rising since the resolution only: 1.3 → 4.2 counts 1
        ("resolved", 9, "viral_post"),
        ("opened", 11, "negative_acceleration"),  # 1.3 → 1.4 → 1.45, the first after it
        ("resolved", 13, "negative_acceleration"),
    ]  # fmt: skip
    assert transitions_key(replay_batch(posts, lambda t, b: rule)) == transitions_key(live)


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
    # two processes with differently salted string hashing (a set's order differs)
    for seed, output in (("1", first), ("2", second)):
        command = [sys.executable, "-m", "veille.cli", "alerts", "replay",
                   "--input", str(enriched_file), "--output", str(output)]  # fmt: skip
        subprocess.run(command, check=True, env={**os.environ, "PYTHONHASHSEED": seed})
    assert first.read_bytes() == second.read_bytes()
    again = tmp_path / "c.jsonl"  # and in this process
    assert main(["alerts", "replay", "--input", str(enriched_file), "--output", str(again)]) == 0
    assert again.read_bytes() == first.read_bytes()
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


def _rough_stream(rng: random.Random) -> list[Observation]:
    """Two days of two brands at changing rates: posts read up to 4 minutes out of order,
    ids read again with other content, few distinct virality values (ties everywhere)."""
    posts, minute, rate, start = [], 0.0, 0.5, datetime(2026, 10, 24, tzinfo=UTC)
    while minute < 2 * 1440:
        if rng.random() < 0.003:
            rate = rng.choice([rng.uniform(0.05, 1.0), rng.uniform(1, 6)])
        minute += rng.expovariate(rate)
        number = len(posts) + 1
        late = rng.uniform(-4, 0) if rng.random() < 0.05 else 0.0
        posts.append(Observation(
            id=f"m{number if rng.random() > 0.03 else max(1, number - rng.randint(0, 3))}",
            tenant="t", brands=tuple(rng.sample(["a", "b"], rng.randint(1, 2))),
            published_at=start + timedelta(minutes=minute + late),
            sentiment=SentimentPart(rng.choice([-0.8, -0.3, -0.05, 0.0, 0.05, 0.4, 0.9])),
            virality=ViralityPart(rng.choice([0.0, 1.0, 5.25, 30.0, 2.0, 85.0])),
            text=f"post {number} mot{rng.randint(0, 5)}",
            cluster=ClusterPart(f"c{rng.randint(0, 20)}") if rng.random() < 0.2 else None,
        ))  # fmt: skip
    return posts


@pytest.mark.parametrize("seed", range(9))
def test_equivalence_holds_for_out_of_order_input_repeated_ids_and_ties(seed: int) -> None:
    # exact: weights are multiples of 1/1024, so sums do not depend on the order of additions
    rng = random.Random(seed)
    posts = _rough_stream(rng)
    bucket = rng.choice([1, 5, 15])
    rule = DetectionSettings(bucket_minutes=bucket, window_minutes=bucket * rng.randint(1, 8),
                         allowed_lateness_minutes=seed % 3, min_volume=1, ratio=1.2,
                         rising_windows=rng.randint(1, 3), resolve_after_minutes=5,
                         baseline_warmup_hours=1, baseline_floor=0.5)  # fmt: skip
    live = replay_observations(posts, lambda t, b: rule)
    assert len(live) > 10
    assert transitions_key(replay_batch(posts, lambda t, b: rule)) == transitions_key(live)


def test_nothing_is_late_before_the_first_bucket_is_judged() -> None:
    # the first post read is not the earliest: the viral one, read second, still counts
    start = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    posts = [
        Observation(id=name, tenant="t", brands=("b",), published_at=start + timedelta(minutes=m),
                    sentiment=SentimentPart(-0.8), virality=ViralityPart(virality))
        for name, m, virality in [("calm", 5, 0.0), ("viral", 2, 95.0), ("later", 40, 0.0)]
    ]  # fmt: skip
    rule = DetectionSettings(allowed_lateness_minutes=0)
    live = replay_observations(posts, lambda t, b: rule)
    assert [(t.event, t.incident.trigger) for t in live][:1] == [("opened", "viral_post")]
    assert transitions_key(replay_batch(posts, lambda t, b: rule)) == transitions_key(live)
