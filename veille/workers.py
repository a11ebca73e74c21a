"""The workers `veille run` starts by default, in start order (veille/runner.py builds them).
Kept apart from the runner so that the command line lists them without importing it."""

WORKERS = ("ingest", "enrich", "stories", "index", "alerts", "notify", "response")
