"""The `veille` command line. Every subcommand takes `--config` (default: $VEILLE_CONFIG or
./veille.yaml). Exit codes: 0 ok, 1 failure, 2 bad usage or configuration."""

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from enrich.model import ModelLoadError
from schemas import JSON_SCHEMAS
from schemas.config import VeilleConfig
from veille.settings import ConfigError, default_config_path, load_config
from veille.stack import EmbeddedStack, StackError

Command = Callable[[argparse.Namespace], int]


def _config(args: argparse.Namespace) -> VeilleConfig:
    return load_config(args.config)


def cmd_stack(args: argparse.Namespace) -> int:
    stack = EmbeddedStack(_config(args).stack)
    if args.action == "up":
        status = stack.up()
        from veille.runner import prepare

        prepare(_config(args))
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
    from veille.runner import start_workers, stop_on_signals

    config = _config(args)
    names = tuple(args.workers) if getattr(args, "workers", None) else (args.worker,)
    running = start_workers(config, names)
    with stop_on_signals(running.stop_event):
        while running.alive() and not running.stop_event.wait(0.5):
            pass
    running.stop()
    return 1 if running.failures else 0


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
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    config = _config(args)
    brands = sum(len(t.brands) for t in config.tenants)
    print(f"{args.config}: ok ({len(config.tenants)} tenant(s), {brands} brand(s), "
          f"{len(config.sources)} source(s))")  # fmt: skip
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="veille", description=__doc__)
    parser.add_argument("--config", type=Path, default=default_config_path())
    parser.add_argument("--log-level", default="INFO")
    commands = parser.add_subparsers(dest="command", required=True)

    stack = commands.add_parser("stack", help="the embedded stack (noida-db) for dev and CI")
    stack.add_argument("action", choices=["up", "down", "status"])
    stack.set_defaults(func=cmd_stack)

    setup = commands.add_parser("setup", help="create topics and index templates")
    setup.set_defaults(func=cmd_setup)

    run = commands.add_parser("run", help="run several workers in one process")
    run.add_argument("workers", nargs="*", choices=["ingest", "enrich", "index", "alerts"],
                     default=["ingest", "enrich", "index", "alerts"])  # fmt: skip
    run.set_defaults(func=cmd_worker)

    ingest = commands.add_parser("ingest", help="ingest worker: sources → mentions.raw")
    ingest.add_subparsers(dest="action", required=True).add_parser("run").set_defaults(
        func=cmd_worker, worker="ingest"
    )
    enrich = commands.add_parser("enrich", help="enrich and index workers")
    enrich_actions = enrich.add_subparsers(dest="action", required=True)
    enrich_actions.add_parser("run", help="mentions.raw → mentions.enriched").set_defaults(
        func=cmd_worker, worker="enrich"
    )
    enrich_actions.add_parser("index", help="mentions.enriched → Elasticsearch").set_defaults(
        func=cmd_worker, worker="index"
    )
    from veille.model_cli import add_model_commands

    add_model_commands(commands, enrich_actions)
    alerts = commands.add_parser("alerts", help="alert worker: detection, incidents, pages")
    alerts.add_subparsers(dest="action", required=True).add_parser("run").set_defaults(
        func=cmd_worker, worker="alerts"
    )

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

    config = commands.add_parser("config", help="validate the configuration")
    config.add_subparsers(dest="action", required=True).add_parser("check").set_defaults(
        func=cmd_config_check
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
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
