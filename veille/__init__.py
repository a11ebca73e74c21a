"""veille: command line, settings and the runtime shared by the stages."""
