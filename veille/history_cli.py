"""`veille search`, `veille inbox`, `veille index …`, `veille kibana …`, `veille report …`,
`veille api`: the analyst's commands over the stored history (the work is in the `history`
package)."""

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from veille.tenant_args import config_of, known_tenant


def cmd_search(args: argparse.Namespace) -> int:
    from history.output import csv_lines, json_lines, table_lines
    from history.search import MentionFilter, SearchInputError, iterate, parse_duration
    from runtime.indices import make_client
    from schemas.brand_query import QueryError

    config = config_of(args)
    tenant = known_tenant(config, args.tenant)
    now = datetime.now(UTC)
    try:
        where = MentionFilter.checked(tenant, now - parse_duration(args.since), now, now,
                                      query=args.query, sentiment=args.sentiment)  # fmt: skip
        where.to_elasticsearch()  # the query's errors before any request
    except QueryError as exc:
        print(f"veille: {exc}\n  {exc.query}\n  {' ' * exc.position}^", file=sys.stderr)
        return 2
    except SearchInputError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return 2
    client = make_client(config.elasticsearch)
    try:
        found = iterate(client, config.elasticsearch, where, args.limit)
        lines = {"csv": csv_lines, "json": json_lines, "table": table_lines}[args.format]
        for line in lines(found):
            sys.stdout.write(line)
    finally:
        client.close()
    return 0


def cmd_inbox(args: argparse.Namespace) -> int:
    from history.inbox import inbox_lines, unanswered
    from history.search import SearchInputError, parse_duration
    from runtime.indices import make_client

    config = config_of(args)
    tenant = next(t for t in config.tenants if t.id == known_tenant(config, args.tenant))
    teams = [t.id for t in tenant.response.teams]
    if args.team is not None and args.team not in teams:
        print(f"veille: tenant {tenant.id} has no team {args.team!r} "
              f"(teams: {', '.join(teams) or 'none configured'})", file=sys.stderr)  # fmt: skip
        return 2
    try:
        since = parse_duration(args.since)
    except SearchInputError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    client = make_client(config.elasticsearch)
    try:
        waiting = unanswered(client, config.elasticsearch, tenant, now, since, args.team)
    finally:
        client.close()
    for line in inbox_lines(waiting, now):
        sys.stdout.write(line)
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    import json

    from history.api import create_app
    from runtime.indices import make_client

    config = config_of(args)
    client = make_client(config.elasticsearch)
    app = create_app(config, client)
    if args.action == "openapi":
        with open(args.file, "w", encoding="utf-8") as out:
            json.dump(app.openapi(), out, indent=2)
        print(f"OpenAPI written to {args.file}", file=sys.stderr)
        return 0
    import uvicorn

    uvicorn.run(app, host=config.history_api.host, port=config.history_api.port)
    return 0


def add_history_commands(commands: Any) -> None:
    """Register the analyst's commands on the top-level subparsers."""
    search = commands.add_parser("search", help="search a tenant's mentions (brand query language)")
    search.add_argument("query", help="e.g. '\"air volaris\" AND (retard* OR annul*)'")
    search.add_argument("--tenant", required=True)
    search.add_argument("--since", default="7d", help="30m, 24h, 7d, 2w (default 7d)")
    search.add_argument("--sentiment", choices=["negative", "neutral", "positive"])
    search.add_argument("--format", choices=["table", "csv", "json"], default="table")
    search.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    search.set_defaults(func=cmd_search)

    inbox = commands.add_parser("inbox", help="a tenant's posts waiting for an answer, oldest 1st")
    inbox.add_argument("--tenant", required=True)
    inbox.add_argument("--team", help="only the posts of this team (tenants.response.teams)")
    inbox.add_argument("--since", default="7d", help="look back this far (default 7d)")
    inbox.set_defaults(func=cmd_inbox)

    api = commands.add_parser("api", help="the history HTTP API (per-tenant bearer tokens)")
    api_actions = api.add_subparsers(dest="action", required=True)
    api_actions.add_parser("serve", help="serve on history_api.host:port").set_defaults(
        func=cmd_api
    )
    openapi = api_actions.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("file")
    openapi.set_defaults(func=cmd_api)

    from veille.index_cli import add_index_commands

    add_index_commands(commands)
    from veille.kibana_cli import add_kibana_commands

    add_kibana_commands(commands)
    from veille.tenants_cli import add_tenants_commands

    add_tenants_commands(commands)
    from veille.report_cli import add_report_commands

    add_report_commands(commands)
