"""`veille kibana export | import`: one tenant's saved objects (history/kibana.py), and their
import into the tenant's Kibana space (history/kibana_import.py)."""

import argparse
import sys
from typing import Any

from veille.tenant_args import config_of, known_tenant


def cmd_export(args: argparse.Namespace) -> int:
    from history.kibana import ndjson, saved_objects

    config = config_of(args)
    tenant = known_tenant(config, args.tenant)
    settings = next(t for t in config.tenants if t.id == tenant)
    sys.stdout.writelines(ndjson(saved_objects(config.elasticsearch, settings)))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from history.kibana import ndjson, saved_objects
    from history.kibana_import import KibanaImportError, import_objects

    if args.file:
        with open(args.file, encoding="utf-8") as source:
            body = source.read()
    else:
        config = config_of(args)
        tenant = known_tenant(config, args.tenant or args.space)
        settings = next(t for t in config.tenants if t.id == tenant)
        body = "".join(ndjson(saved_objects(config.elasticsearch, settings)))
    try:
        result = import_objects(args.url, args.space, body)
    except KibanaImportError as exc:
        print(f"veille: kibana import: {exc}", file=sys.stderr)
        return 1
    print(f"space {args.space}: {result.imported} object(s) imported")
    for problem in result.problems:
        print(f"  error: {problem}", file=sys.stderr)
    return 0 if result.success and not result.problems else 1


def add_kibana_commands(commands: Any) -> None:
    kibana = commands.add_parser("kibana", help="a tenant's Kibana saved objects")
    actions = kibana.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="print the tenant's saved objects (ndjson)")
    export.add_argument("--tenant", required=True)
    export.set_defaults(func=cmd_export)
    load = actions.add_parser(
        "import", help="import saved objects into a Kibana space (API key: $VEILLE_KIBANA_API_KEY)"
    )
    load.add_argument("--url", required=True, help="Kibana's base URL, e.g. http://127.0.0.1:5601")
    load.add_argument("--space", required=True, help="the space id (a tenant's: its tenant id)")
    load.add_argument("--tenant", help="whose objects to generate (default: the space id)")
    load.add_argument("--file", help="an ndjson file to import instead (`veille kibana export`)")
    load.set_defaults(func=cmd_import)
