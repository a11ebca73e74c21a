"""deploy/grafana and deploy/prometheus name only metrics veille registers.

promtool is not installed here, so the rule file is checked structurally: it must match the
shape of a Prometheus rule file (groups → rules with alert, expr, for, labels, annotations) as
a JSON Schema written from Prometheus's documentation; the PromQL itself is not parsed, only
its metric names are checked against the registry.
"""

import json
import re
from pathlib import Path

import jsonschema
import yaml

from runtime.metrics import registry

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "veille-rules.yaml"
DASHBOARD = DEPLOY / "grafana" / "veille-dashboard.json"
METRIC = re.compile(r"\bveille_[a-z_]+\b")

RULE_FILE_SCHEMA = {
    "type": "object",
    "required": ["groups"],
    "additionalProperties": False,
    "properties": {
        "groups": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "rules"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "interval": {"type": "string"},
                    "rules": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["alert", "expr"],
                            "additionalProperties": False,
                            "properties": {
                                "alert": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                                "expr": {"type": "string", "minLength": 1},
                                "for": {"type": "string", "pattern": "^[0-9]+[smhdwy]$"},
                                "labels": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                },
                                "annotations": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        }
    },
}


def exported_names() -> set[str]:
    """Every sample name veille's registry can expose (counters' _total, histograms' parts)."""
    names: set[str] = set()
    for family in registry().collect():
        if not family.name.startswith("veille_"):
            continue
        suffixes = {
            "counter": ["_total"],
            "histogram": ["_bucket", "_sum", "_count"],
        }.get(family.type, [""])
        names.update(family.name + suffix for suffix in suffixes)
    return names


def test_the_rule_file_has_the_shape_prometheus_loads_and_alerts_on_what_the_issue_names() -> None:
    rules = yaml.safe_load(RULES.read_text())
    jsonschema.validate(rules, RULE_FILE_SCHEMA)
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert {"VeilleConsumerLagGrowing", "VeilleDeadLetterRate", "VeilleStageNotReady",
            "VeillePagesFailing"} <= alerts  # fmt: skip


def test_every_metric_the_rules_and_the_dashboard_name_is_registered() -> None:
    rules = yaml.safe_load(RULES.read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    dashboard = json.loads(DASHBOARD.read_text())
    exprs += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for expr in exprs for name in METRIC.findall(expr)}
    assert used, "no veille metric named"
    assert used <= exported_names(), sorted(used - exported_names())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_a_misspelt_metric_would_be_caught() -> None:
    assert "veille_messages_consumed_total" in exported_names()
    assert "veille_messages_consumed" not in exported_names()  # a counter needs its _total
