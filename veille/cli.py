"""The `veille` command line. Every subcommand takes `--config` (default: $VEILLE_CONFIG or
./veille.yaml). Exit codes: 0 ok, 1 failure, 2 bad usage or configuration."""

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from enrich.model import ModelLoadError
from runtime.logs import log_handler
from schemas import JSON_SCHEMAS
from schemas.config import VeilleConfig
from veille.settings import ConfigError, default_config_path, load_config
from veille.stack import EmbeddedStack, StackError

Command = Callable[[argparse.Namespace], int]


def _config(args: argparse.Namespace) -> VeilleConfig:
    return load_config(args.config_path)


def cmd_stack(args: argparse.Namespace) -> int:
    config = _config(args)
    stack = EmbeddedStack(config.stack)
    if args.action == "up":
        status = stack.up()
        from veille.runner import prepare

        prepare(config)
        print(status.describe())
    elif args.action == "down":
        stack.down()
        print("embedded stack: stopped")
    else:
        status = stack.status()
        print(status.describe())
        return 0 if status.running else 1
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    from veille.runner import prepare

    created = prepare(_config(args))
    print(f"topics created: {', '.join(created) or 'none (all existed)'}; templates in place")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """The named workers in one process, with one probe port (`metrics.port`, if set)."""
    from runtime.probes import ProbeServer
    from veille.runner import start_workers
    from veille.running import stop_on_signals

    config = _config(args)
    port = config.metrics.port
    probes = None if port is None else ProbeServer(config.metrics.host, port).start()
    try:
        running = start_workers(config, worker_names(args))
        if probes is not None:
            probes.readiness = lambda: running.not_ready(config.metrics.ready_max_lag)
        with stop_on_signals(running.stop_event):
            while running.alive() and not running.stop_event.wait(0.5):
                pass
        running.stop()
    finally:
        if probes is not None:
            probes.close()
    return 1 if running.failures else 0


def worker_names(args: argparse.Namespace) -> tuple[str, ...]:
    """The workers a command runs: its own, those `veille run` names, or (none named) all."""
    from veille.workers import WORKERS

    return (args.worker,) if args.worker else tuple(args.workers) or WORKERS


def cmd_alerts_replay(args: argparse.Namespace) -> int:
    from alerts.replay.command import ReplayError, encode_lines, replay_file
    from schemas.config import DetectionSettings

    default = DetectionSettings()
    config = _config(args) if args.config else None

    def rule_for(tenant: str, brand: str) -> DetectionSettings:
        return config.detection_rule_or_default(tenant, brand) if config else default

    try:
        transitions = replay_file(args.input, rule_for)
    except ReplayError as exc:
        print(f"veille: {args.input}: {exc}", file=sys.stderr)
        return 1
    with open(args.output, "wb") as out:
        out.writelines(encode_lines(transitions))
    print(f"{len(transitions)} incident event(s) written to {args.output}", file=sys.stderr)
    return 0


def cmd_alerts_resolve(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from runtime.kafka import DurableProducer, make_producer
    from schemas.incident import ResolveCommand
    from schemas.topics import Topics, brand_key

    config = _config(args)
    command = ResolveCommand(
        tenant=args.tenant, brand=args.brand, incident_id=args.incident_id, by=args.by,
        issued_at=datetime.now(UTC),
    )  # fmt: skip
    producer = DurableProducer(make_producer(config.kafka, "veille-cli"))
    producer.send(Topics(config.kafka.topic_prefix).commands, brand_key(args.tenant, args.brand),
                  command.model_dump_json().encode())  # fmt: skip
    producer.flush()
    producer.close()
    print(f"resolve requested for incident {args.incident_id} by {args.by}")
    return 0


def cmd_incidents_answer(args: argparse.Namespace) -> int:
    """`veille incidents ack|resolve ID --by NAME`: the answer on alerts.responses."""
    import uuid
    from datetime import UTC, datetime

    from alerts.notify.log import NotificationLog
    from alerts.notify.responses import make_response, publish_response
    from runtime.indices import make_client
    from runtime.kafka import DurableProducer, make_producer
    from schemas.response import ResponseAction
    from schemas.topics import Topics

    config = _config(args)
    client = make_client(config.elasticsearch)
    try:
        thread = NotificationLog(client, config.elasticsearch).find_thread(args.incident_id)
    finally:
        client.close()
    if thread is None:
        print(f"veille: no incident {args.incident_id} known to the notifier", file=sys.stderr)
        return 1
    action: ResponseAction = "acknowledge" if args.action == "ack" else "resolve"
    response = make_response(action, thread.incident_id, thread.tenant, thread.brand, args.by,
                             "cli", uuid.uuid4().hex, datetime.now(UTC))  # fmt: skip
    producer = DurableProducer(make_producer(config.kafka, "veille-cli"))
    try:
        publish_response(producer, Topics(config.kafka.topic_prefix), response)
    finally:
        producer.close()
    print(f"{action} of incident {thread.incident_id} ({thread.tenant}/{thread.brand}) by "
          f"{args.by}: published")  # fmt: skip
    return 0


def cmd_incidents_list(args: argparse.Namespace) -> int:
    from alerts.notify.log import NotificationLog
    from runtime.indices import make_client

    config = _config(args)
    client = make_client(config.elasticsearch)
    try:
        threads = NotificationLog(client, config.elasticsearch).threads(args.tenant)
    finally:
        client.close()
    for t in threads:
        last = t.responses[-1] if t.responses else None
        who = f" · {last.action} by {last.by} at {last.at:%Y-%m-%d %H:%M} UTC" if last else ""
        print(f"{t.incident_id}  {t.status:<12} {t.incident.severity:<8} {t.incident.kind:<11} "
              f"{t.brand:<16} opened {t.incident.opened_at:%Y-%m-%d %H:%M} UTC{who}")  # fmt: skip
    if not threads:
        print(f"no incident for tenant {args.tenant}")
    return 0


def cmd_ingest_health(args: argparse.Namespace) -> int:
    """Each source's last saved health; exit 1 if one is silent or failing."""
    from ingest.cursors import CursorStore

    config = _config(args)
    if config.ingest.state_dir is None:
        print("veille: ingest.state_dir is null: health lives only in the worker", file=sys.stderr)
        return 2
    store = CursorStore.for_prefix(config.ingest.state_dir, config.kafka.topic_prefix)
    health = store.health()
    store.close()
    bad = 0
    for source in (s.id for s in config.sources):
        snap = health.get(source)
        if snap is None:
            print(f"{source:<24} never polled")
            continue
        bad += snap.state != "ok"
        print(
            f"{source:<24} {snap.state:<8} last success {snap.last_success or '-'} · "
            f"{snap.consecutive_errors} error(s) in a row · "
            f"{snap.items_per_hour:.0f} items/h · last error: {snap.last_error or '-'}"
        )
    return 1 if bad else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from veille.demo.run import run_demo

    return run_demo(_config(args), once=args.once, speed=args.speed)


def cmd_schemas_export(args: argparse.Namespace) -> int:
    out = Path(args.directory)
    out.mkdir(parents=True, exist_ok=True)
    for name, model in JSON_SCHEMAS.items():
        path = out / f"{name}.schema.json"
        path.write_text(json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False) + "\n")
        print(path)
    from ingest.sources.push import push_openapi

    path = out / "push-api.openapi.json"  # the HTTP push endpoint (veille ingest push)
    path.write_text(json.dumps(push_openapi(), indent=2, ensure_ascii=False) + "\n")
    print(path)
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    config = _config(args)  # validates every command's way: fields, references, brand queries
    brands = sum(len(t.brands) for t in config.tenants)
    print(f"{args.config_path}: ok ({len(config.tenants)} tenant(s), {brands} brand(s), "
          f"{len(config.sources)} source(s))")  # fmt: skip
    return 0


def cmd_config_reference(args: argparse.Namespace) -> int:
    from veille.config_reference import render_reference

    sys.stdout.write(render_reference())
    return 0


def _worker_name(name: str) -> str:
    """A worker `veille run` knows (argparse's `choices` would refuse the empty default)."""
    from veille.workers import WORKERS

    if name not in WORKERS:
        choices = ", ".join(WORKERS)
        raise argparse.ArgumentTypeError(f"unknown worker {name!r} (choose from {choices})")
    return name


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="veille", description=__doc__)
    parser.add_argument(
        "--config", type=Path, default=None, help="default: $VEILLE_CONFIG or ./veille.yaml"
    )
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--log-format", choices=["text", "json"], default="text",
                        help="json: one object per line, with tenant, brand, mention and "
                        "incident ids where known")  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)

    stack = commands.add_parser("stack", help="the embedded stack (noida-db) for dev and CI")
    stack.add_argument("action", choices=["up", "down", "status"])
    stack.set_defaults(func=cmd_stack)

    setup = commands.add_parser("setup", help="create topics and index templates")
    setup.set_defaults(func=cmd_setup)

    run = commands.add_parser("run", help="run several workers in one process")
    run.add_argument("workers", nargs="*", type=_worker_name, metavar="WORKER",
                     help="ingest, enrich, index, alerts, notify, response "
                     "(default: all)")  # fmt: skip
    run.set_defaults(func=cmd_worker, worker=None)

    ingest = commands.add_parser("ingest", help="ingest worker: sources → mentions.raw")
    ingest_actions = ingest.add_subparsers(dest="action", required=True)
    ingest_actions.add_parser("run").set_defaults(func=cmd_worker, worker="ingest")
    ingest_actions.add_parser(
        "push", help="HTTP push endpoint: POST /ingest/{tenant} → mentions.raw"
    ).set_defaults(func=cmd_worker, worker="push")
    ingest_actions.add_parser(
        "health", help="each source's health (exit 1 if one is silent or failing)"
    ).set_defaults(func=cmd_ingest_health)
    enrich = commands.add_parser("enrich", help="enrich and index workers")
    enrich_actions = enrich.add_subparsers(dest="action", required=True)
    enrich_actions.add_parser(
        "run", help="inference: mentions.raw → sentiment, intent → mentions.scored"
    ).set_defaults(func=cmd_worker, worker="enrich")
    enrich_actions.add_parser(
        "stories", help="clusters, virality: mentions.scored → mentions.enriched"
    ).set_defaults(func=cmd_worker, worker="stories")
    enrich_actions.add_parser("index", help="mentions.enriched → Elasticsearch").set_defaults(
        func=cmd_worker, worker="index"
    )
    from veille.model_cli import add_model_commands

    add_model_commands(commands, enrich_actions)
    from veille.oncall_cli import add_oncall_commands

    add_oncall_commands(commands)
    from veille.history_cli import add_history_commands

    add_history_commands(commands)
    alerts = commands.add_parser("alerts", help="alert workers: detection, then paging")
    alert_actions = alerts.add_subparsers(dest="action", required=True)
    alert_actions.add_parser("run", help="the live detector → alerts.incidents").set_defaults(
        func=cmd_worker, worker="alerts"
    )
    alert_actions.add_parser(
        "notify", help="the notifier: routes, on-call, escalation, channels, incident page"
    ).set_defaults(func=cmd_worker, worker="notify")
    response = commands.add_parser("response", help="response-time watch: overdue posts")
    response_actions = response.add_subparsers(dest="action", required=True)
    response_actions.add_parser(
        "watch", help="first-reply records, overdue posts notified to their teams"
    ).set_defaults(func=cmd_worker, worker="response")
    replay = alert_actions.add_parser(
        "replay", help="the live detector over a JSONL file of enriched mentions"
    )
    replay.add_argument("--input", required=True, help="enriched mentions, sorted by time")
    replay.add_argument("--output", required=True, help="one JSON line per incident event")
    replay.set_defaults(func=cmd_alerts_replay)
    resolve = alert_actions.add_parser("resolve", help="resolve an open incident by hand")
    resolve.add_argument("incident_id")
    resolve.add_argument("--tenant", required=True)
    resolve.add_argument("--brand", required=True)
    resolve.add_argument("--by", required=True, help="who resolves it (recorded)")
    resolve.set_defaults(func=cmd_alerts_resolve)

    incidents = commands.add_parser("incidents", help="acknowledge, resolve, list incidents")
    incident_actions = incidents.add_subparsers(dest="action", required=True)
    for verb, text in (
        ("ack", "acknowledge: stops the escalation"),
        ("resolve", "resolve: stops the escalation, closes the incident"),
    ):
        answer = incident_actions.add_parser(verb, help=text)
        answer.add_argument("incident_id")
        answer.add_argument("--by", required=True, help="who answers (recorded)")
        answer.set_defaults(func=cmd_incidents_answer)  # fmt: skip
    listing = incident_actions.add_parser("list", help="a tenant's incidents and their answers")
    listing.add_argument("--tenant", required=True)
    listing.set_defaults(func=cmd_incidents_list)

    demo = commands.add_parser("demo", help="replay the bundled French demo weekend")
    demo.add_argument(
        "--once", action="store_true", help="run to completion; exit 0 only if the crisis was paged"
    )
    demo.add_argument(
        "--speed",
        type=float,
        default=None,
        help="simulated seconds per real second (default: demo.speed)",
    )
    demo.set_defaults(func=cmd_demo)

    schemas = commands.add_parser("schemas", help="the JSON Schemas of the contracts")
    export = schemas.add_subparsers(dest="action", required=True).add_parser("export")
    export.add_argument("directory", help="where to write <name>.schema.json files")
    export.set_defaults(func=cmd_schemas_export)

    config = commands.add_parser("config", help="validate the configuration, or document it")
    config_actions = config.add_subparsers(dest="action", required=True)
    config_actions.add_parser(
        "check", help="validate the file and compile every brand query"
    ).set_defaults(func=cmd_config_check)
    config_actions.add_parser(
        "reference", help="print the configuration reference (docs/configuration.md)"
    ).set_defaults(func=cmd_config_reference)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.config_path = args.config or default_config_path()  # --config itself: None if absent
    handler = log_handler(args.log_format)  # log lines quote posts and feeds: display-safe
    logging.basicConfig(level=args.log_level.upper(), handlers=[handler])
    logging.getLogger("kafka").setLevel(logging.WARNING)
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return 2
    except (StackError, ModelLoadError) as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
