"""Sources: one module each. A source's `poll()` returns new FeedItems or raises SourceError."""
