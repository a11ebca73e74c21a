"""The transformer sentiment model: rebuild (build.py, blob.py), model code (classifier.py),
loading (loader.py), batching (engine.py), head and its training (head.py, train.py).

Importing this package does not import torch; the modules do."""


class ModelLoadError(RuntimeError):
    """The configured model cannot be loaded: veille stops instead of scoring differently."""
