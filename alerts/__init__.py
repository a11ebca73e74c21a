"""alerts: enriched stream → incidents (alerts.incidents) → pages to the on-call channels."""
