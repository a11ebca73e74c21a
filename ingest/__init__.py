"""ingest: sources → brand match → normalised Mentions → mentions.raw."""
