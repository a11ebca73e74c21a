"""enrich: raw mentions → sentiment and intent (inference) → mentions.scored → clusters and
virality (stories) → mentions.enriched → Elasticsearch."""
