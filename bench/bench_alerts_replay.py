"""`veille alerts replay` throughput: mentions/s through the whole command path (read the
file, decode, detect, write), against a baseline measured in the same run on the same file:
decoding alone (the least any replay must do). Target: ≥ 200,000 mentions/s."""

import tempfile
import time
from pathlib import Path

from alerts.detection.observation import DECODER
from bench.scenarios import enriched_line, generate
from veille.cli import main as veille

TARGET = 200_000
ROUNDS = 3


def main() -> int:
    scenario = generate(seed=7, brands=20, weeks=6)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "enriched.jsonl"
        source.write_bytes(b"\n".join(enriched_line(o) for o in scenario.observations) + b"\n")
        n = len(scenario.observations)
        replay_s, decode_s = [], []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            DECODER.decode_lines(source.read_bytes())
            decode_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            out = Path(folder) / "incidents.jsonl"
            code = veille(["alerts", "replay", "--input", str(source), "--output", str(out)])
            replay_s.append(time.perf_counter() - started)
            if code:
                return code
    replay_rate, decode_rate = n / min(replay_s), n / min(decode_s)
    print(f"mentions: {n:,} (20 brands, 6 weeks), best of {ROUNDS}")
    print(f"decode only (baseline): {decode_rate:,.0f} mentions/s")
    print(f"alerts replay:          {replay_rate:,.0f} mentions/s "
          f"= {replay_rate / decode_rate:.2f} × the decode-only baseline")  # fmt: skip
    print(f"target ≥ {TARGET:,} mentions/s: {'met' if replay_rate >= TARGET else 'NOT met'}")
    return 0
