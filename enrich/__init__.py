"""enrich: raw mentions → sentiment and virality → mentions.enriched → Elasticsearch."""
