"""`veille report weekly`: a tenant's weekly report, HTML and PDF (history/report_*.py)."""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from veille.tenant_args import config_of, known_tenant


def cmd_weekly(args: argparse.Namespace) -> int:
    from history.report_data import ReportInputError, weekly_figures
    from history.report_render import write_report
    from runtime.indices import make_client

    config = config_of(args)
    tenant_id = known_tenant(config, args.tenant)
    tenant = next(t for t in config.tenants if t.id == tenant_id)
    client = make_client(config.elasticsearch)
    try:
        figures = weekly_figures(client, config.elasticsearch, tenant, args.week, datetime.now(UTC))
    except ReportInputError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return 2
    finally:
        client.close()
    written = write_report(figures, Path(args.output))
    print(f"HTML: {written.html}")
    if written.pdf:
        print(f"PDF: {written.pdf}")
    else:
        print(f"no PDF: {written.pdf_missing}", file=sys.stderr)
    return 0


def add_report_commands(commands: Any) -> None:
    report = commands.add_parser("report", help="reports on a tenant's history")
    weekly = report.add_subparsers(dest="action", required=True).add_parser(
        "weekly", help="the week's KPIs as HTML and PDF (French, the tenant's time zone)"
    )
    weekly.add_argument("--tenant", required=True)
    weekly.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: the last complete one)")
    weekly.add_argument("--output", required=True, help="the directory to write into")
    weekly.set_defaults(func=cmd_weekly)
