"""Everything after detection: route → on-call resolution → escalation → dedup → send with
retry → record (the notifier worker, `veille alerts notify`). See `contract.py`."""
