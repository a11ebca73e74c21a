"""alerts: enriched stream → incidents (topic alerts.incidents) → pages to the on-call channels.

- `detection/`: the rules (each written once, `rules.py`), the hour-of-week baseline, the live
  detector and the incident lifecycle;
- `replay/`: the batch engine behind `veille alerts replay` (same rules, all windows at once);
- `notify/`, `channels/`: what happens after detection;
- `stage.py`, `watermark.py`, `warmup.py`, `store.py`: the live alert worker.
"""
