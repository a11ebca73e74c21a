"""The bundled demo: a French weekend of mentions, replayed as an RSS feed on 127.0.0.1."""
