"""The settings schema seen from a raw (not yet validated) configuration.

`VeilleConfig`'s annotations say, for a path of keys into the raw mapping, which types may
sit there: a field of a settings class, an item of a list, a value of a map. A discriminated
union (a channel, a source) is narrowed by the `type` the raw node already has; when it has
none yet, every member is kept. The environment overrides (veille.env_overrides) and the
check for secrets written in the file (veille.settings) both read the schema through here.
"""

import types
import typing
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, SecretStr

from schemas.config import VeilleConfig

Path = tuple[str | int, ...]


def _members(annotation: Any) -> list[Any]:
    """The concrete types an annotation allows: Annotated unwrapped, unions split, None out."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    if annotation is type(None):
        return []
    return [annotation]


def _tag_matches(model: type[BaseModel], raw: Any) -> bool:
    field = model.model_fields.get("type")
    if field is None or not isinstance(raw, dict) or "type" not in raw:
        return True
    allowed = [m for m in _members(field.annotation) if typing.get_origin(m) is Literal]
    return not allowed or any(raw["type"] in typing.get_args(m) for m in allowed)


def child_types(parents: list[Any], raw: Any, key: str | int) -> list[Any]:
    """The types allowed at `key` under a node of one of `parents` whose raw value is `raw`."""
    children: list[Any] = []
    for member in (m for parent in parents for m in _members(parent)):
        origin = typing.get_origin(member)
        if isinstance(member, type) and issubclass(member, BaseModel):
            field = member.model_fields.get(str(key))
            if field is not None and _tag_matches(member, raw):
                children.append(field.annotation)
        elif origin is dict:
            children.append(typing.get_args(member)[1])
        elif origin is list and isinstance(key, int):
            children.append(typing.get_args(member)[0])
    return children


def types_at(raw: Any, path: Path) -> list[Any]:
    """The types the schema allows at `path` of the raw configuration ([] for an unknown
    path, which validation then refuses)."""
    current: list[Any] = [VeilleConfig]
    node = raw
    for key in path:
        current = child_types(current, node, key)
        node = _raw_child(node, key)
    return current


def _raw_child(node: Any, key: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None


def is_map(annotations: list[Any]) -> bool:
    return any(typing.get_origin(m) is dict for a in annotations for m in _members(a))


def is_text(annotations: list[Any]) -> bool:
    """Every allowed type is a string (str, SecretStr, a Literal of strings)."""
    leaves = [m for a in annotations for m in _members(a)]
    return bool(leaves) and all(_is_text_type(m) for m in leaves)


def _is_text_type(member: Any) -> bool:
    if typing.get_origin(member) is Literal:
        return all(isinstance(value, str) for value in typing.get_args(member))
    return isinstance(member, type) and issubclass(member, str | SecretStr)


def is_secret(annotations: list[Any]) -> bool:
    leaves = [m for a in annotations for m in _members(a)]
    return any(isinstance(m, type) and issubclass(m, SecretStr) for m in leaves)


def secrets_in(raw: Any) -> Iterator[Path]:
    """The paths of the raw configuration that hold a non-empty value of a secret field."""
    yield from _secrets_under(raw, [VeilleConfig], ())


def _secrets_under(node: Any, annotations: list[Any], path: Path) -> Iterator[Path]:
    if isinstance(node, dict):
        items: list[tuple[str | int, Any]] = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return
    for key, value in items:
        here, below = (*path, key), child_types(annotations, node, key)
        if value not in (None, "") and is_secret(below):
            yield here
        yield from _secrets_under(value, below, here)
