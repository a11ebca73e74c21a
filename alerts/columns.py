"""Columns: the fields the detector reads, one row per mention, as numpy arrays — decoded
from JSON lines by forked processes sharing the file, or taken from observations in memory.
Only the few mentions an incident cites are decoded whole again, from their bytes.
"""

import multiprocessing as mp
import os
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from alerts.observation import COUNTED_DECODER, DECODER, Counted, Observation

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Groups = dict[tuple[str, str], Ints]

PARALLEL_FROM = 50_000  # mentions: below this, forking costs more than it saves


class ReplayError(ValueError):
    """A line that is not an enriched mention; the message names the line."""


def processes_for(asked: int | None, n: int, parallel_from: int = PARALLEL_FROM) -> int:
    if asked is not None:
        return asked
    if n < parallel_from or "fork" not in mp.get_all_start_methods():
        return 1
    return os.cpu_count() or 1


def map_processes(function: Callable[[Any], Any], items: list[Any], processes: int) -> list[Any]:
    if processes > 1 and len(items) > 1:
        with mp.get_context("fork").Pool(min(processes, len(items))) as pool:
            return pool.map(function, items, chunksize=1)
    return [function(item) for item in items]


def columns_of(observations: Sequence[Observation]) -> "Columns":
    return Columns([Part(observations)], lambda row: observations[row])


def columns_from_bytes(data: bytes, processes: int) -> "Columns | None":
    """Decode JSON lines in `processes` shares cut at line ends; None if there are none.
    A bad line raises ReplayError naming it."""
    cuts = [0]
    for k in range(1, processes):
        end = data.find(b"\n", len(data) * k // processes)
        cuts.append(len(data) if end < 0 else end + 1)
    cuts.append(len(data))
    shares = [(start, end) for start, end in pairwise(cuts) if end > start]
    global _DATA
    _DATA = data
    try:
        parts = map_processes(_decode_share, shares, processes)
    finally:
        _DATA = None
    parts = [p for p in parts if len(p.epochs)]
    if not parts:
        return None
    starts = np.concatenate([p.line_start for p in parts])
    ends = np.concatenate([p.line_end for p in parts])

    def observation(row: int) -> Observation:
        return DECODER.decode(data[int(starts[row]) : int(ends[row])])

    return Columns(parts, observation)


_DATA: bytes | None = None
_NEWLINE = re.compile(b"\n")


def _decode_share(share: tuple[int, int]) -> "Part":
    """Decode the lines between two byte offsets (line ends) into columns."""
    assert _DATA is not None
    start, end = share
    chunk = _DATA[start:end]
    newlines = np.fromiter((m.start() for m in _NEWLINE.finditer(chunk)), np.int64)
    line_ends = (
        newlines
        if len(newlines) and newlines[-1] == len(chunk) - 1
        else np.append(newlines, len(chunk))
    )
    line_starts = np.concatenate([[0], line_ends[:-1] + 1])
    lengths = line_ends - line_starts
    blank = [i for i in np.flatnonzero(lengths <= 2).tolist()
             if not chunk[line_starts[i] : line_ends[i]].strip()]  # fmt: skip
    keep = np.setdiff1d(np.arange(len(line_starts)), blank)
    try:
        observations = COUNTED_DECODER.decode_lines(chunk)
    except (msgspec.ValidationError, msgspec.DecodeError):
        raise _bad_line(chunk, start) from None
    assert len(observations) == len(keep), "blank lines counted differently"
    part = Part(observations)
    part.line_start = line_starts[keep] + start
    part.line_end = line_ends[keep] + start
    return part


def _bad_line(chunk: bytes, offset: int) -> ReplayError:
    first_line = _DATA.count(b"\n", 0, offset) + 1 if _DATA is not None else 1
    for number, line in enumerate(chunk.splitlines(), first_line):
        if line.strip():
            try:
                DECODER.decode(line)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                return ReplayError(f"line {number}: not an enriched mention: {exc}")
    return ReplayError("not JSON lines of enriched mentions")


class Part:
    """Columns of a share of the mentions (one row each), with their (tenant, brands)."""

    def __init__(self, obs: Sequence[Counted]) -> None:
        table: dict[tuple[str, tuple[str, ...]], int] = {}
        rows = [
            (
                o.published_at.timestamp(), o.sentiment.score, o.virality.score,
                o.author.followers or 0, hash(o.id),
                hash(o.cluster.id) if o.cluster is not None else hash(o.id),
                table.setdefault((o.tenant, o.brands), len(table)),
            )
            for o in obs
        ]  # fmt: skip
        floats = np.array([r[:3] for r in rows], np.float64).reshape(-1, 3)
        ints = np.array([r[3:] for r in rows], np.int64).reshape(-1, 4)
        self.epochs, self.scores, self.virality = floats[:, 0], floats[:, 1], floats[:, 2]
        self.followers, self.ids, self.stories = ints[:, 0], ints[:, 1], ints[:, 2]
        self.key_ids = ints[:, 3]
        self.keys = list(table)
        self.line_start = self.line_end = np.zeros(0, np.int64)


class Columns:
    """The fields the detector reads, one row per mention in reading order, as arrays;
    `observation(row)` gives a whole mention back (for the few an incident cites)."""

    def __init__(self, parts: list[Part], observation: Callable[[int], Observation]) -> None:
        self.observation = observation
        self.epochs = np.concatenate([p.epochs for p in parts])
        self.watermarks = np.maximum.accumulate(self.epochs)  # the replay watermark per reading
        self.final_watermark = float(self.watermarks[-1])
        self.scores = np.concatenate([p.scores for p in parts])
        self.virality = np.concatenate([p.virality for p in parts])
        self.followers = np.concatenate([p.followers for p in parts])
        self.ids = np.concatenate([p.ids for p in parts])
        self.stories = np.concatenate([p.stories for p in parts])
        rows_by_brand: dict[tuple[str, str], list[Ints]] = defaultdict(list)
        offset = 0
        for part in parts:
            order = np.argsort(part.key_ids, kind="stable")
            bounds = np.searchsorted(part.key_ids[order], np.arange(len(part.keys) + 1))
            for k, (tenant, brands) in enumerate(part.keys):
                rows = order[bounds[k] : bounds[k + 1]] + offset
                for brand in brands:
                    rows_by_brand[(tenant, brand)].append(rows)
            offset += len(part.epochs)
        self.groups: Groups = {
            key: np.sort(np.concatenate(chunks)) for key, chunks in rows_by_brand.items()
        }
