"""docs/configuration.md is generated from the settings classes and committed up to date."""

from pathlib import Path

from pydantic import BaseModel

from schemas.config import DetectionSettings, VeilleConfig
from veille.cli import main
from veille.config_reference import render_reference, type_name

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_committed_reference_is_the_generated_one() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render_reference(), (
        "docs/configuration.md is out of date: run "
        "`veille config reference > docs/configuration.md`"
    )


def test_the_command_prints_the_reference(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["config", "reference"]) == 0
    assert capsys.readouterr().out == render_reference()


def _fields(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


def test_every_field_of_every_section_has_a_row() -> None:
    reference = render_reference()
    for name in _fields(VeilleConfig) | _fields(DetectionSettings):
        assert f"| `{name}` |" in reference, name


def test_a_field_row_carries_its_type_bounds_default_and_docstring() -> None:
    reference = render_reference()
    row = next(line for line in reference.splitlines() if line.startswith("| `dlq_max_ratio` |"))
    assert "float (> 0.0, ≤ 1.0) or null" in row
    assert "`0.5`" in row
    assert "null: no ratio limit" in row  # the docstring under the field


def test_a_union_of_sources_gives_one_section_per_type() -> None:
    reference = render_reference()
    for kind in ("rss", "blog", "mastodon", "bluesky", "reddit", "x", "youtube", "facebook"):
        assert f"## `sources[]` (type: {kind})" in reference, kind


def test_type_names_read_as_the_yaml_does() -> None:
    assert type_name(dict[str, list[int]]) == "map[str, list[int]]"
    assert type_name(int | None) == "int or null"
