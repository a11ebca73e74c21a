"""The batching engine: many texts in, one `Analysis` (sentiment, intent) each, in input
order.

Requests (from one caller or many threads) queue up; a single inference thread takes
what is waiting — waiting at most `max_wait_ms` for a batch to fill — sorts it by token
length to cut padding, cuts it into batches bounded by count (`max_batch_size`) and by
padded tokens (`max_batch_tokens`), and runs each through the model's pre-process →
forward → post-process under `torch.inference_mode()`. The model code knows nothing of
batching; the engine knows nothing of models.
"""

import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import torch

from enrich.model import Analysis
from enrich.model.classifier import SentimentModel
from runtime import metrics
from schemas.enriched import Sentiment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchLimits:
    max_batch_size: int = 64
    max_batch_tokens: int = 8192
    max_wait_ms: float = 5.0
    window: int = 1024
    """How many waiting items are sorted together before being cut into batches."""


def plan_batches(lengths: Sequence[int], max_count: int, max_tokens: int) -> list[list[int]]:
    """Indices grouped into batches, shortest first: each batch has at most `max_count`
    items and at most `max_tokens` padded tokens (count × longest), except that an item
    longer than `max_tokens` still gets a batch of its own."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        longest = max([lengths[i] for i in current] + [lengths[index]])
        if current and (len(current) >= max_count or longest * (len(current) + 1) > max_tokens):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


@dataclass
class _Item:
    ids: list[int]
    future: "Future[Analysis]"


class InferenceEngine:
    """Owns one inference thread; `score()` is safe to call from several threads."""

    def __init__(self, model: SentimentModel, limits: BatchLimits, warm_up: bool = True) -> None:
        self.model = model
        self.limits = limits
        self.batches_run = 0
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        if warm_up:
            self._warm_up()
        self._thread = threading.Thread(target=self._loop, name="veille-inference", daemon=True)
        self._thread.start()

    def score(self, texts: list[str]) -> list[Sentiment]:
        """One Sentiment per text, in input order; raises what the model raised."""
        return [analysis.sentiment for analysis in self.analyse(texts)]

    def analyse(self, texts: list[str]) -> list[Analysis]:
        """One Analysis per text, in input order; raises what the model raised."""
        if not texts:
            return []
        futures = self.submit(texts)
        return [future.result() for future in futures]

    def submit(self, texts: list[str]) -> list["Future[Analysis]"]:
        futures: list[Future[Analysis]] = []
        for ids in self.model.tokenize(texts):
            future: Future[Analysis] = Future()
            self._queue.put(_Item(ids, future))
            futures.append(future)
        return futures

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _warm_up(self) -> None:
        """One small batch first, so the first real batch does not pay for lazy init (CUDA
        kernels and allocator, oneDNN primitives)."""
        with torch.inference_mode():
            self.model.forward(self.model.collate(self.model.tokenize(["warm-up"] * 2)))

    def _collect(self, first: _Item) -> tuple[list[_Item], bool]:
        """`first` plus what arrives before the batch is full or `max_wait_ms` has passed,
        plus whatever else is already waiting (up to `window`). Returns (items, closing)."""
        items = [first]
        deadline = time.monotonic() + self.limits.max_wait_ms / 1000
        while len(items) < self.limits.window:
            try:
                remaining = deadline - time.monotonic()
                if len(items) < self.limits.max_batch_size and remaining > 0:
                    item = self._queue.get(timeout=remaining)
                else:
                    item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return items, True
            items.append(item)
        return items, False

    def _loop(self) -> None:
        closing = False
        while not closing:
            first = self._queue.get()
            if first is None:
                return
            items, closing = self._collect(first)
            lengths = [len(item.ids) for item in items]
            limits = self.limits
            plan = plan_batches(lengths, limits.max_batch_size, limits.max_batch_tokens)
            for indices in plan:
                self._run([items[i] for i in indices])

    def _run(self, batch: list[_Item]) -> None:
        metrics.INFERENCE_BATCH_FILL.observe(len(batch) / self.limits.max_batch_size)
        try:
            with torch.inference_mode(), metrics.INFERENCE_DURATION.time():
                inputs = self.model.collate([item.ids for item in batch])
                analyses = self.model.postprocess(self.model.forward(inputs))
        except Exception as exc:  # handed to the callers, who fail loudly
            log.exception("sentiment batch of %d failed", len(batch))
            for item in batch:
                item.future.set_exception(exc)
            return
        self.batches_run += 1
        for item, analysis in zip(batch, analyses, strict=True):
            item.future.set_result(analysis)
