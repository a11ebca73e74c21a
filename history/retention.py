"""Retention per tenant (GDPR): whole monthly indices are dropped once every day they hold is
older than the tenant's `retention_days`.

Contract:
- A monthly index (`<prefix><family>-<tenant>.v<N>-<yyyy.MM>.01`) holds documents dated from
  the first of its month (UTC) to the first of the next; it expires when that next first is
  at least `retention_days` before now. Nothing is ever deleted document by document here.
- Only names that parse as one of the tenant's own monthly indices are considered (see
  `runtime.indices.names.parse_monthly`): an alias or another tenant's index never is.
- Where the engine has ILM, each tenant also gets an ILM policy `<prefix>retention-<tenant>`
  (delete phase) attached to its indices with `index.lifecycle.parse_origination_date`, so
  ILM dates an index by the month in its name, not by its creation. ILM counts `min_age` from
  that first of the month: the policy waits `retention_days + 31` days (a month's length at
  most), never deleting a day too early. The embedded engine has no ILM: the command says so
  in the log and does the dropping itself (which it does on every engine, to the day).
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from elasticsearch import ApiError, Elasticsearch

from runtime.indices.names import Family, MonthlyIndex, parse_monthly, tenant_pattern
from runtime.indices.templates import FAMILIES
from schemas.config import ElasticsearchSettings, TenantSettings

log = logging.getLogger(__name__)
LONGEST_MONTH_DAYS = 31


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def expired(index: MonthlyIndex, retention_days: int, now: datetime) -> bool:
    """True once the index's last day is `retention_days` or more behind `now`."""
    ends = datetime.combine(next_month(index.month), datetime.min.time(), UTC)
    return ends <= now - timedelta(days=retention_days)


@dataclass(frozen=True)
class Expired:
    tenant: str
    family: Family
    index: str
    month: date


def expired_indices(
    client: Elasticsearch, settings: ElasticsearchSettings, tenant: TenantSettings, now: datetime
) -> list[Expired]:
    """The tenant's concrete indices (both families) that retention drops at `now`."""
    out = []
    for family in FAMILIES:
        names = client.indices.get(
            index=tenant_pattern(settings, family, tenant.id),
            allow_no_indices=True,
            expand_wildcards="open,closed",
        )
        for name in sorted(names):
            found = parse_monthly(settings, family, tenant.id, name)
            if found is not None and expired(found, tenant.retention_days, now):
                out.append(Expired(tenant.id, family, name, found.month))
    return out


def has_ilm(client: Elasticsearch) -> bool:
    """Whether the engine serves the ILM API (noida-db answers 400 'no handler found')."""
    try:
        client.ilm.get_status()
    except ApiError as exc:
        if exc.meta.status in (400, 404, 405):
            return False
        raise
    return True


def policy_name(settings: ElasticsearchSettings, tenant: str) -> str:
    return f"{settings.index_prefix}retention-{tenant}"


def ilm_policy(retention_days: int) -> dict[str, Any]:
    """The delete-phase policy for a tenant (see the module contract for `min_age`)."""
    return {
        "_meta": {"managed_by": "veille", "retention_days": retention_days},
        "phases": {
            "hot": {"min_age": "0ms", "actions": {}},
            "delete": {
                "min_age": f"{retention_days + LONGEST_MONTH_DAYS}d",
                "actions": {"delete": {}},
            },
        },
    }


def ilm_index_settings(settings: ElasticsearchSettings, tenant: str) -> dict[str, Any]:
    return {
        "index.lifecycle.name": policy_name(settings, tenant),
        "index.lifecycle.parse_origination_date": True,
    }


def put_ilm(client: Elasticsearch, settings: ElasticsearchSettings, tenant: TenantSettings) -> None:
    """The tenant's ILM policy, attached to its existing concrete indices (idempotent; run
    the command daily so a new month's index gets it too)."""
    client.ilm.put_lifecycle(
        name=policy_name(settings, tenant.id), policy=ilm_policy(tenant.retention_days)
    )
    for family in FAMILIES:
        client.indices.put_settings(
            index=tenant_pattern(settings, family, tenant.id),
            settings=ilm_index_settings(settings, tenant.id),
            allow_no_indices=True,
        )


def apply_retention(
    client: Elasticsearch,
    settings: ElasticsearchSettings,
    tenants: list[TenantSettings],
    now: datetime,
    dry_run: bool = False,
) -> list[Expired]:
    """Drop every expired index of `tenants` (none when `dry_run`) and return them."""
    ilm = has_ilm(client)
    if not ilm:
        log.warning(
            "this engine has no ILM: no lifecycle policy put; veille drops the "
            "expired monthly indices itself (run `veille index retention` daily)"
        )
    dropped: list[Expired] = []
    for tenant in tenants:
        if ilm and not dry_run:
            put_ilm(client, settings, tenant)
        for found in expired_indices(client, settings, tenant, now):
            if not dry_run:
                client.indices.delete(index=found.index)
            log.info(
                "%s %s (%s, %s, kept %d days)",
                "would drop" if dry_run else "dropped",
                found.index,
                found.tenant,
                found.month,
                tenant.retention_days,
            )
            dropped.append(found)
    return dropped
