"""`python -m tests.faults [--quick] [--es-down-s S] [--channel-down-s S] [--only NAME…]`:
inject each fault, print one row per check — injected fault | expected | observed — and
exit 1 on any difference."""

import argparse
import logging
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.faults import kill_faults, scale_faults, scenarios
from tests.faults.scenarios import Row, Servers

SCENARIOS: dict[str, Callable[[Servers, argparse.Namespace], list[Row]]] = {
    "kill-enrich": lambda s, a: [scenarios.kill_9(s, "enrich")],
    "kill-index": lambda s, a: [scenarios.kill_9(s, "index")],
    "kill-stories": lambda s, a: [scenarios.kill_9(s, "stories")],
    "poison-1": lambda s, a: [scenarios.poison(s, 0.01, 1000)],
    "poison-60": lambda s, a: [scenarios.poison(s, 0.60, 2000)],
    "search-down": lambda s, a: scenarios.search_engine_down(s, a.es_down_s),
    "broker-restart": lambda s, a: [scenarios.broker_restarted(s)],
    "kill-ingest": lambda s, a: [scale_faults.kill_ingest(s)],
    "kill-alerts": lambda s, a: kill_faults.kill_alerts(s),
    "kill-notify": lambda s, a: [kill_faults.kill_notify(s)],
    "ingest-disk-full": lambda s, a: scale_faults.state_disk_full(s),
    "channel-down": lambda s, a: scale_faults.channel_down(s, a.channel_down_s),
    "stack-down-up": lambda s, a: [scenarios.stack_down_up(s)],
    "noida-bare-down-up": lambda s, a: [scenarios.bare_noida_down_up(s)],
}
DIAGNOSTIC = {"noida-bare-down-up"}
"""Run only when named with --only: they show an engine's behaviour, not veille's."""


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults", description=__doc__)
    parser.add_argument(
        "--es-down-s",
        type=float,
        default=60.0,
        help="how long the search engine stays down (default 60)",
    )
    parser.add_argument(
        "--channel-down-s",
        type=float,
        default=600.0,
        help="how long a notification channel fails (default 600: 10 minutes)",
    )
    parser.add_argument("--quick", action="store_true", help="--es-down-s 5 --channel-down-s 20")
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), default=None)
    args = parser.parse_args()
    if args.quick:
        args.es_down_s = 5.0
        args.channel_down_s = 20.0
    logging.basicConfig(level=logging.ERROR)
    rows: list[Row] = []
    with (
        tempfile.TemporaryDirectory(prefix="veille-faults-") as work,
        scenarios.servers(Path(work)) as servers,
    ):
        for name in args.only or [n for n in SCENARIOS if n not in DIAGNOSTIC]:
            try:
                found = SCENARIOS[name](servers, args)
            except Exception as exc:  # a scenario that broke is a failed row, not a crash
                found = [Row(name, "scenario runs", f"crashed: {type(exc).__name__}: {exc}")]
            for row in found:
                print(f"{'ok  ' if row.ok else 'FAIL'} | {row.fault} | {row.expected} | "
                      f"{row.observed}", flush=True)  # fmt: skip
            rows.extend(found)
    failed = [row for row in rows if not row.ok]
    print(f"\n{len(rows) - len(failed)} of {len(rows)} rows as expected")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
