"""The replay engine: the detector over a whole, time-ordered file, with numpy
(`veille alerts replay`); equal, event for event, to the live engine."""
