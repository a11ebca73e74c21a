"""YAML read without ever echoing its content: a syntax error names where, not what.

PyYAML's own message quotes the offending lines (a password among them, when a secret sits
in a file or an environment value). `load_yaml` keeps only the line, the column and the
problem, with every quoted fragment that is not YAML punctuation replaced by `'…'`.
"""

import re
from typing import Any

import yaml

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_SYNTAX = re.compile(r"<[a-z ]+>|[\[\]{},:?|>!&*%@`#\-]{1,3}")


class YamlSyntaxError(ValueError):
    """Not valid YAML; the message has `what`, line and column, never the content."""


def load_yaml(text: str, what: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        raise YamlSyntaxError(f"{what}: not valid YAML{_where(exc)}{_problem(exc)}") from None
    except yaml.YAMLError:
        raise YamlSyntaxError(f"{what}: not valid YAML") from None


def _where(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def _problem(exc: yaml.MarkedYAMLError) -> str:
    if not exc.problem:
        return ""
    redacted = _QUOTED.sub(
        lambda quoted: quoted[0] if _SYNTAX.fullmatch(quoted[0][1:-1]) else "'…'", exc.problem
    )
    return f": {redacted}"
