"""Every index and alias name veille uses, and how to read one back.

Contract:
- One tenant's mentions live in monthly concrete indices, chosen from the mention's own
  `published_at`: `<prefix>mentions-<tenant>.v<version>-<yyyy.MM>.01`, e.g.
  `veille-mentions-agence-horizon.v1-2026.11.01`. A mention re-indexed under the same `_id`
  (an engagement update) has the same `published_at`, so it always lands in the index that
  already holds it: no data stream (append-only), no rollover alias (after a rollover the
  same `_id` would land in the new index: a duplicate, elastic/elasticsearch#56273).
  `<version>` is the mapping version of `templates/mentions.json`; the name ends as ILM's
  `parse_origination_date` expects (`-yyyy.MM.dd`), so a cluster with ILM dates each index
  by its month, not by its creation.
- The tenant id is followed by `.`, a character outside the tenant-id alphabet
  (`^[a-z0-9][a-z0-9_-]{0,62}$`), so one tenant's pattern `<prefix>mentions-<tenant>.*`
  never matches another tenant's index (`agence.*` never reaches `agence-horizon.…`).
- Every read goes through the tenant's read alias `<prefix>mentions-<tenant>.all`, which the
  tenant's index template puts on each of its concrete indices when it is created (the
  pattern covers the alias too: one pattern grants a role everything of one tenant, nothing
  of another).
- Incidents get the same treatment, by `opened_at`: `<prefix>incidents-<tenant>.v<version>-
  <yyyy.MM>.01`, alias `<prefix>incidents-<tenant>.all`; so do response-time records
  (schemas/reply_record.py says by which date each kind is placed): `<prefix>responses-…`.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from schemas.config import ElasticsearchSettings

Family = Literal["mentions", "incidents", "responses"]
SEPARATOR = "."
READ_ALIAS_SUFFIX = "all"
_MONTHLY = re.compile(r"^(?P<base>.+)\.v(?P<version>\d+)-(?P<year>\d{4})\.(?P<month>\d{2})\.01$")


def _base(settings: ElasticsearchSettings, family: Family, tenant: str) -> str:
    return f"{settings.index_prefix}{family}-{tenant}"


def monthly_index(
    settings: ElasticsearchSettings, family: Family, tenant: str, at: datetime, version: int
) -> str:
    """The concrete index holding a document of `tenant` dated `at` (UTC month)."""
    return f"{_base(settings, family, tenant)}{SEPARATOR}v{version}-{at:%Y.%m}.01"


def read_alias(settings: ElasticsearchSettings, family: Family, tenant: str) -> str:
    """The alias every read of a tenant's documents goes through."""
    return f"{_base(settings, family, tenant)}{SEPARATOR}{READ_ALIAS_SUFFIX}"


def tenant_pattern(settings: ElasticsearchSettings, family: Family, tenant: str) -> str:
    """Matches the tenant's concrete indices and its alias, and nothing of any other tenant."""
    return f"{_base(settings, family, tenant)}{SEPARATOR}*"


@dataclass(frozen=True, order=True)
class MonthlyIndex:
    """A concrete monthly index name, read back."""

    month: date
    version: int
    name: str


def parse_monthly(
    settings: ElasticsearchSettings, family: Family, tenant: str, name: str
) -> MonthlyIndex | None:
    """The month and version of one of the tenant's concrete indices; None for any other name
    (its alias, another tenant's or family's index)."""
    found = _MONTHLY.match(name)
    if found is None or found["base"] != _base(settings, family, tenant):
        return None
    try:
        month = date(int(found["year"]), int(found["month"]), 1)
    except ValueError:  # month 13: not a name veille wrote
        return None
    return MonthlyIndex(month, int(found["version"]), name)
