"""`veille oncall who | show | export` through `veille.cli.main`, on the demo configuration
and on a file with an override."""

from pathlib import Path

import pytest
import yaml

from alerts.notify.oncall import on_call
from schemas.config import OnCallSettings
from veille.cli import main


def test_who_names_the_weekend_rotation_on_the_demo_saturday_night(
    repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(agency(repo_root))
    code = main(["--config", config, "oncall", "who", "--tenant", "agence-horizon",
                 "--at", "2026-11-21T22:00"])  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == (
        "astreinte (Europe/Paris), sam. 21/11/2026 22:00 : Karim Benali [couche week-end] — "
        "karim@horizon.example, +33600000002"
    )
    assert out[-1] == "escalade crise : niveau 1 → Karim Benali"
    # An instant with an offset is that instant: 08:30 UTC on Monday is 09:30 in Paris.
    main(["--config", config, "oncall", "who", "--tenant", "agence-horizon",
          "--at", "2026-11-23T08:30+00:00"])  # fmt: skip
    assert "lun. 23/11/2026 09:30 : Karim Benali [couche semaine]" in capsys.readouterr().out


def agency(repo_root: Path) -> Path:
    return repo_root / "tests" / "fixtures" / "oncall-agency.yaml"


def override_config(tmp_path: Path, repo_root: Path) -> Path:
    data = yaml.safe_load(agency(repo_root).read_text(encoding="utf-8"))
    horizon = data["tenants"][0]["oncall"]
    horizon["schedules"][0]["overrides"] = [
        {
            "start": "2026-11-21T18:00",
            "end": "2026-11-22T06:00",
            "person": "lea",
            "reason": "échange avec Karim",
        }
    ]
    path = tmp_path / "veille.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_show_week_lists_every_slot_and_marks_overrides(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = override_config(tmp_path, repo_root)
    code = main(["--config", str(path), "oncall", "show", "--tenant", "agence-horizon", "--week",
                 "--at", "2026-11-21T22:00"])  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == "astreinte (Europe/Paris), lun. 16/11/2026 00:00 → lun. 23/11/2026 00:00"
    slots = out[1 : out.index(next(line for line in out if line.startswith("secours")))]
    assert [line.split("  ")[2].strip() for line in slots] == [
        "Léa Martin", "Karim Benali", "Camille Roux", "Karim Benali", "Camille Roux",
        "Karim Benali", "Camille Roux", "Karim Benali", "Léa Martin", "Karim Benali",
    ]  # fmt: skip
    assert slots[8] == (
        "  sam. 21/11/2026 18:00 → dim. 22/11/2026 06:00  Léa Martin                   "
        "REMPLACEMENT échange avec Karim"
    )
    assert sum("REMPLACEMENT" in line for line in out) == 1


def test_who_exits_1_when_a_schedule_has_nobody(
    repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--config", str(agency(repo_root)), "oncall", "who",
                 "--tenant", "maison-lumen", "--at", "2026-10-01T12:00"])  # fmt: skip
    assert code == 1
    assert "personne d'astreinte" in capsys.readouterr().out


def test_export_writes_an_ical_that_imports_back(
    tmp_path: Path, repo_root: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = override_config(tmp_path, repo_root)
    code = main(["--config", str(path), "oncall", "export", "--tenant", "agence-horizon",
                 "--schedule", "astreinte", "--at", "2026-11-16T00:00", "--days", "7"])  # fmt: skip
    exported = capsysbinary.readouterr().out
    assert code == 0 and exported.startswith(b"BEGIN:VCALENDAR")
    ics = tmp_path / "export.ics"
    ics.write_bytes(exported)
    people = yaml.safe_load(path.read_text(encoding="utf-8"))["tenants"][0]["oncall"]["people"]
    imported = OnCallSettings.model_validate({"people": people, "schedules": [
        {"id": "s", "layers": [{"id": "importe", "ical": str(ics)}]}]})  # fmt: skip
    from datetime import datetime
    from zoneinfo import ZoneInfo

    saturday = datetime(2026, 11, 21, 22, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert [r.id for r in on_call(imported, "s", saturday)] == ["lea"]  # the override


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["who", "--tenant", "nope"], "unknown tenant 'nope'"),
        (["who", "--tenant", "agence-horizon", "--at", "samedi soir"], "expected ISO 8601"),
        (["export", "--tenant", "agence-horizon", "--schedule", "x"], "unknown schedule 'x'"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(
    repo_root: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert (
        main(
            [
                "--config",
                str(agency(repo_root)),
                "oncall",
                *argv,
            ]
        )
        == 2
    )
    assert message in capsys.readouterr().err
