"""`veille index retention | erase`: the stored history's lifecycle (the work is in
history/retention.py and history/erasure.py)."""

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from veille.tenant_args import config_of, known_tenant


def cmd_retention(args: argparse.Namespace) -> int:
    from history.retention import apply_retention
    from runtime.indices import make_client

    config = config_of(args)
    tenants = [t for t in config.tenants if args.tenant in (None, t.id)]
    if args.tenant:
        known_tenant(config, args.tenant)
    client = make_client(config.elasticsearch)
    try:
        dropped = apply_retention(
            client, config.elasticsearch, tenants, datetime.now(UTC), dry_run=args.dry_run
        )
    finally:
        client.close()
    verb = "would drop" if args.dry_run else "dropped"
    for found in dropped:
        print(f"{verb} {found.index}  ({found.tenant}, {found.family}, {found.month:%Y-%m})")
    print(f"{verb} {len(dropped)} index(es)", file=sys.stderr)
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    from history.erasure import erase_author
    from runtime.indices import make_client

    config = config_of(args)
    tenant = known_tenant(config, args.tenant)
    client = make_client(config.elasticsearch)
    try:
        done = erase_author(client, config.elasticsearch, tenant, args.author, args.dry_run)
    finally:
        client.close()
    verb = "would remove" if done.dry_run else "removed"
    print(
        f"{tenant}: {verb} {done.mentions} mention(s) by {done.author}, and "
        f"{done.top_mentions} citation(s) of them in {done.incidents} incident(s), and "
        f"{done.replies} response-time record(s) of their posts"
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from history.migration import MigrationError, migrate
    from runtime.indices import make_client

    config = config_of(args)
    tenants = [known_tenant(config, args.tenant)] if args.tenant else [t.id for t in config.tenants]
    client = make_client(config.elasticsearch)
    try:
        moves = migrate(client, config.elasticsearch, tenants, dry_run=args.dry_run)
    except MigrationError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    verb = "would copy" if args.dry_run else "copied"
    for done in moves:
        print(f"{verb} {done.source} → {done.target}  ({done.documents} document(s))")
    print(f"{verb} {len(moves)} index(es)", file=sys.stderr)
    return 0


def add_index_commands(commands: Any) -> None:
    index = commands.add_parser("index", help="retention and erasure of the history")
    actions = index.add_subparsers(dest="action", required=True)
    retention = actions.add_parser(
        "retention", help="drop monthly indices older than each tenant's retention_days"
    )
    retention.add_argument("--tenant", help="only this tenant (default: all)")
    retention.add_argument("--dry-run", action="store_true", help="list them, drop nothing")
    retention.set_defaults(func=cmd_retention)
    erase = actions.add_parser("erase", help="remove one author's mentions (right to erasure)")
    erase.add_argument("--tenant", required=True)
    erase.add_argument("--author", required=True, help="the author's handle, e.g. @someone")
    erase.add_argument("--dry-run", action="store_true", help="count them, remove nothing")
    erase.set_defaults(func=cmd_erase)
    migrate = actions.add_parser(
        "migrate", help="copy older-version indices into the current mapping version"
    )
    migrate.add_argument("--tenant", help="only this tenant (default: all)")
    migrate.add_argument("--dry-run", action="store_true", help="list the copies, do none")
    migrate.set_defaults(func=cmd_migrate)
