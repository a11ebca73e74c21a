"""The JSON log format: one object per line, the logger's name, the ids the call knew."""

import json
import logging

from runtime.logs import JsonLogFormatter, log_context


def test_json_logs_carry_the_logger_and_the_known_ids() -> None:
    record = logging.LogRecord("alerts.stage", logging.ERROR, __file__, 1,
                               "page for %s not sent\x1b[31m", ("i-1",), None)  # fmt: skip
    record.__dict__.update(log_context("agence-horizon", "air-volaris", incident_id="i-1"))
    line = json.loads(JsonLogFormatter().format(record))
    assert line["logger"] == "alerts.stage" and line["level"] == "ERROR"
    assert line["message"] == "page for i-1 not sent"  # display-safe: the escape is gone
    assert (line["tenant"], line["brand"], line["incident_id"]) == (
        "agence-horizon", "air-volaris", "i-1",
    )  # fmt: skip
    assert "mention_id" not in line
