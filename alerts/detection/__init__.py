"""Detection: mentions → incident transitions, on event time (the live engine, and the rules
and incident lifecycle the replay engine shares)."""
