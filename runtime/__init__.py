"""The ground floor every stage stands on: Kafka connections, the stream loop, dead letters,
the Elasticsearch client and every index name and template.

Layers (checked by import-linter, `make lint`): `schemas` ← `runtime` ← stages (`ingest`,
`enrich`, `alerts`, never each other) ← `veille` (CLI, wiring, embedded stack, demo).
"""
