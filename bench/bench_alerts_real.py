"""Detection on real brand tweet volumes: the Numenta Anomaly Benchmark's five shared
`realTweets` series (`../shared/data/brand-volume/`, README there), replayed through
`veille alerts replay` with the default rule and scored with the benchmark's standard
profile (bench/nab_score.py), beside the published detectors' figures.

How counts become mentions: each series is one brand; each tweet of a 5-minute count
becomes `per_tweet` negative mentions (¼, 1 and 4: the figures must not hinge on one
brand's volume), the running total rounded down so ¼ keeps every fourth tweet, spread evenly
over the 5 minutes (mention j of n at j·300/n s). Every mention is negative (score −0.6),
virality 0, 100 followers, no story cluster: the series are a brand's whole buzz, so the
crisis track sees the volume alone and nothing else (share, virality, reach) can page.
No tuning per series: the same default rule for all. Detections are the openings of crisis
incidents. The data is never copied into the repository; without it the bench says so
and skips (VEILLE_BRAND_VOLUME names another folder).
"""

import csv
import json
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from bench.nab_score import SeriesScore, normalised, score_series
from veille.cli import main as veille

DATA = Path(
    os.environ.get("VEILLE_BRAND_VOLUME")  # another checkout's copy (a worktree has no ../shared)
    or Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "brand-volume"
)
SCALES = (0.25, 1.0, 4.0)
PUBLISHED = (
    "published, all ten realTweets series: ARTime 60.9 (25 of 33 windows, 60 false alarms), "
    "contextOSE 52.0 (19, 6), earthgeckoSkyline 48.5, numenta HTM 45.8, Twitter ADVec 43.6, "
    "windowedGaussian 34.9 (23, 192)"
)
TARGET = "target on these five: score ≥ 70 with ≤ 20 false alarms (ARTime: 64.6 on these five)"
_ENCODER = msgspec.json.Encoder()


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def load(name: str) -> tuple[list[datetime], list[int]]:
    with open(DATA / name, newline="") as source:
        rows = list(csv.DictReader(source))
    return [_instant(r["timestamp"]) for r in rows], [int(r["value"]) for r in rows]


def write_mentions(path: Path, brand: str, rows: list[datetime], counts: list[int],
                   per_tweet: float) -> int:  # fmt: skip
    """The series as enriched negative mentions (module docstring); how many were written."""
    record = {
        "schema_version": 1, "id": "", "tenant": "real", "brands": [brand], "queries": ["q"],
        "source": "brand-volume", "source_kind": "replay", "native_id": "", "url": None,
        "author": {"handle": None, "name": None, "followers": 100}, "title": None,
        "text": f"tweet about {brand}", "lang": "en", "published_at": "", "fetched_at": "",
        "engagement": None,
        "sentiment": {"label": "negative",
                      "probabilities": {"negative": 1.0, "neutral": 0.0, "positive": 0.0},
                      "score": -0.6, "model": "bench", "model_version": "1"},
        "virality": {"score": 0.0, "components": {}}, "language": "en", "enriched_at": "",
        "cluster": None,
    }  # fmt: skip
    written, total = 0, 0
    with open(path, "wb") as out:
        for at, count in zip(rows, counts, strict=True):
            total += count
            n = int(total * per_tweet) - written
            for j in range(n):
                stamp = (at + timedelta(seconds=j * 300 // n)).strftime("%Y-%m-%dT%H:%M:%SZ")
                ident = f"{brand}-{written + j:08d}"
                record["id"] = record["native_id"] = ident
                record["published_at"] = record["fetched_at"] = record["enriched_at"] = stamp
                out.write(_ENCODER.encode(record) + b"\n")
            written += n
    return written


def detections(path: Path, folder: Path) -> list[datetime]:
    """Openings of crisis incidents by `veille alerts replay` over that file."""
    out = folder / "incidents.jsonl"
    code = veille(["alerts", "replay", "--input", str(path), "--output", str(out)])
    if code:
        raise RuntimeError(f"veille alerts replay exited {code}")
    events = [json.loads(line) for line in out.read_text().splitlines()]
    return [_instant(e["at"].replace("Z", "")) for e in events
            if e["event"] == "opened" and e["kind"] == "crisis"]  # fmt: skip


def main() -> int:
    if not (DATA / "windows.json").exists():
        print(f"SKIPPED: {DATA} is missing (the shared brand-volume data set)")
        return 0
    windows = json.loads((DATA / "windows.json").read_text())
    print(PUBLISHED)
    print(TARGET)
    for per_tweet in SCALES:
        scores: list[SeriesScore] = []
        lines = []
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            for series in sorted(windows):
                brand = series.removeprefix("Twitter_volume_").removesuffix(".csv").lower()
                rows, counts = load(series)
                source = folder / "enriched.jsonl"
                mentions = write_mentions(source, brand, rows, counts, per_tweet)
                labelled = [(_instant(a), _instant(b)) for a, b in windows[series]]
                score = score_series(rows, labelled, detections(source, folder))
                scores.append(score)
                weeks = score.scored_seconds / (7 * 86400)
                per_week = score.false_alarms / weeks
                lines.append(
                    f"  {brand:<5} {mentions:>9,} mentions: windows {score.caught} of "
                    f"{score.windows}, false alarms {score.false_alarms} ({per_week:.2f}/week), "
                    f"raw {score.raw:+.2f}"
                )
        caught = sum(s.caught for s in scores)
        false_alarms = sum(s.false_alarms for s in scores)
        weeks = sum(s.scored_seconds for s in scores) / (7 * 86400)
        print(
            f"{per_tweet:g} mention(s) per tweet: NAB standard score {normalised(scores):.1f}, "
            f"windows caught {caught} of {sum(s.windows for s in scores)}, false alarms "
            f"{false_alarms} = {false_alarms / weeks:.2f} per brand per week"
        )
        print("\n".join(lines), flush=True)
    return 0
