"""`veille tenants provision`: a tenant's role, Kibana space, Kibana role, API key and saved
objects in a production cluster (the work is in history/provisioning.py)."""

import argparse
import sys
from pathlib import Path
from typing import Any

from veille.tenant_args import config_of, known_tenant


def cmd_provision(args: argparse.Namespace) -> int:
    from history.kibana_import import KibanaImportError
    from history.provisioning import ProvisionError, provision, provision_calls

    config = config_of(args)
    tenant_id = known_tenant(config, args.tenant)
    tenant = next(t for t in config.tenants if t.id == tenant_id)
    es_url = args.elasticsearch_url or config.elasticsearch.hosts[0]
    if args.dry_run:
        for call in provision_calls(config.elasticsearch, tenant):
            print(call.describe())
        print(f"POST kibana/s/{tenant_id}/api/saved_objects/_import?overwrite=true  "
              "[Authorization: ApiKey *** ($VEILLE_KIBANA_API_KEY)]")  # fmt: skip
        print("(dry run: nothing sent; the space's POST only if its PUT answers 404, the key's "
              "POST only if no active key of that name exists)", file=sys.stderr)  # fmt: skip
        return 0
    key_file = Path(args.api_key_file or f"veille-{tenant_id}.api-key")
    try:
        lines = provision(es_url, args.kibana_url, config.elasticsearch, tenant, key_file)
    except (ProvisionError, KibanaImportError) as exc:
        print(f"veille: tenants provision: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(f"{tenant_id}: {line}")
    return 0


def add_tenants_commands(commands: Any) -> None:
    tenants = commands.add_parser("tenants", help="a tenant's access in production")
    actions = tenants.add_subparsers(dest="action", required=True)
    provision = actions.add_parser(
        "provision",
        help="ES role, Kibana space and role, API key, saved objects "
        "(keys: $VEILLE_ES_ADMIN_API_KEY, $VEILLE_KIBANA_API_KEY)",
    )
    provision.add_argument("--tenant", required=True)
    provision.add_argument("--kibana-url", default="http://127.0.0.1:5601")
    provision.add_argument("--elasticsearch-url", help="default: elasticsearch.hosts[0]")
    provision.add_argument("--api-key-file", help="where a new API key goes (mode 0600)")
    provision.add_argument("--dry-run", action="store_true", help="print the calls, send none")
    provision.set_defaults(func=cmd_provision)
