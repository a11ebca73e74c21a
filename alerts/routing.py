"""Which channels page for a (tenant, brand): every matching route's channels, in order."""

from schemas.config import AlertsSettings


def channels_for(settings: AlertsSettings, tenant: str, brand: str) -> list[str]:
    chosen: list[str] = []
    for route in settings.routes:
        if route.tenant not in ("*", tenant):
            continue
        if route.brands and brand not in route.brands:
            continue
        chosen.extend(c for c in route.channels if c not in chosen)
    return chosen
