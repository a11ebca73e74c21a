"""What the analysts' commands (search, inbox, index, kibana, report, tenants) share: the
configuration they read and the tenant they name."""

import argparse

from schemas.config import VeilleConfig
from veille.settings import load_config


def config_of(args: argparse.Namespace) -> VeilleConfig:
    return load_config(args.config_path)


def known_tenant(config: VeilleConfig, tenant: str) -> str:
    """`tenant`, if the configuration has it; SystemExit naming the known ones otherwise."""
    if tenant not in {t.id for t in config.tenants}:
        known = ", ".join(t.id for t in config.tenants)
        raise SystemExit(f"veille: unknown tenant {tenant!r} (known: {known})")
    return tenant
