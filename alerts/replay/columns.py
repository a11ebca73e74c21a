"""Columns: the fields the detector reads, one row per mention, as numpy arrays — decoded
from JSON lines by forked processes sharing the file (alerts/replay/forked.py), or taken
from observations in memory. A mention whose date is unknown (`published_at_known` False)
has no row: it is never counted, as in the live stage.
Only the few mentions an incident cites are decoded whole again, from their bytes.
"""

import mmap
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from itertools import count, pairwise
from operator import attrgetter

import msgspec
import numpy as np
import numpy.typing as npt

from alerts.detection.observation import (
    COUNTED_DECODER,
    DECODER,
    SERVICE_REQUEST,
    Counted,
    Observation,
)
from alerts.replay.forked import map_forked

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Groups = dict[tuple[str, str], Ints]
Lines = bytes | mmap.mmap  # JSON lines, read or mapped from a file

SHARE_BYTES = 8 << 20  # a share is decoded, turned into columns and freed at once


class ReplayError(ValueError):
    """A line that is not an enriched mention; the message names the line."""


def columns_of(observations: Sequence[Observation]) -> "Columns":
    """Columns of observations as they are (replay_batch leaves out those of unknown date)."""
    return Columns([Part(observations)], lambda row: observations[row])


def columns_from_bytes(data: Lines, processes: int) -> "Columns | None":
    """Decode JSON lines in shares of about SHARE_BYTES cut at line ends, each process a run
    of consecutive shares; None if there are no lines. A bad line raises ReplayError naming
    it. (Small shares: each one's mentions are turned into columns while still in the cache,
    then freed, and the next share's reuse their memory.)"""
    pieces = max(processes, len(data) // SHARE_BYTES, 1)
    cuts = [0]
    for k in range(1, pieces):
        end = data.find(b"\n", len(data) * k // pieces)
        cuts.append(len(data) if end < 0 else end + 1)
    cuts.append(len(data))
    shares = [(start, end) for start, end in pairwise(cuts) if end > start]
    parts = map_forked(partial(_decode_share, data), shares, processes, in_order=True)
    parts = [p for p in parts if len(p.epochs)]
    if not parts:
        return None
    starts = np.concatenate([p.line_start for p in parts])
    ends = np.concatenate([p.line_end for p in parts])

    def observation(row: int) -> Observation:
        return DECODER.decode(data[int(starts[row]) : int(ends[row])])

    return Columns(parts, observation)


_NONE = np.array(None, object)  # compares element by element with an array of objects


def _decode_share(data: Lines, share: tuple[int, int]) -> "Part":
    """Decode the lines of `data` between two byte offsets (line ends) into columns."""
    start, end = share
    chunk = memoryview(data)[start:end]  # no copy: msgspec reads any buffer
    line_ends = _newlines(chunk)
    if not len(line_ends) or line_ends[-1] != len(chunk) - 1:
        line_ends = np.append(line_ends, len(chunk))
    line_starts = np.concatenate([[0], line_ends[:-1] + 1])
    keep = np.ones(len(line_starts), bool)
    for i in np.flatnonzero(line_ends - line_starts <= 2).tolist():
        keep[i] = bool(bytes(chunk[line_starts[i] : line_ends[i]]).strip())
    try:
        observations = COUNTED_DECODER.decode_lines(chunk)
    except (msgspec.ValidationError, msgspec.DecodeError):
        raise _bad_line(data, bytes(chunk), start) from None
    assert len(observations) == int(keep.sum()), "blank lines counted differently"
    dated = np.fromiter(map(attrgetter("published_at_known"), observations), bool)
    if not dated.all():  # an unknown date is the fetch time: never counted (live stage too)
        observations = [observations[i] for i in np.flatnonzero(dated).tolist()]
    part = Part(observations)
    part.line_start = (line_starts[keep] + start)[dated]
    part.line_end = (line_ends[keep] + start)[dated]
    return part


def _newlines(chunk: memoryview, step: int = 1 << 18) -> Ints:
    """Offsets of the newlines in `chunk`, found a cache-sized slice at a time."""
    octets = np.frombuffer(chunk, np.uint8)
    found = [np.flatnonzero(octets[at : at + step] == 10) + at
             for at in range(0, len(octets), step)]  # fmt: skip
    return np.concatenate(found) if found else np.zeros(0, np.int64)


def _bad_line(data: Lines, chunk: bytes, offset: int) -> ReplayError:
    first_line = data[:offset].count(b"\n") + 1
    for number, line in enumerate(chunk.splitlines(), first_line):
        if line.strip():
            try:
                DECODER.decode(line)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                return ReplayError(f"line {number}: not an enriched mention: {exc}")
    return ReplayError("not JSON lines of enriched mentions")


class Part:
    """Columns of a share of the mentions (one row each), with their (tenant, brands).
    Built column by column in C (map, attrgetter, fromiter): no Python code runs per row."""

    def __init__(self, obs: Sequence[Counted]) -> None:
        n = len(obs)
        published = map(attrgetter("published_at"), obs)
        self.epochs = np.fromiter(map(datetime.timestamp, published), np.float64, n)
        self.scores = np.fromiter(map(attrgetter("sentiment.score"), obs), np.float64, n)
        self.virality = np.fromiter(map(attrgetter("virality.score"), obs), np.float64, n)
        followers = np.fromiter(map(attrgetter("author.followers"), obs), object, n)
        followers[np.equal(followers, _NONE)] = 0  # unknown reach counts as none
        self.followers = followers.astype(np.int64)
        self.ids = np.fromiter(map(hash, map(attrgetter("id"), obs)), np.int64, n)
        clusters = np.fromiter(map(attrgetter("cluster"), obs), object, n)
        clustered = np.flatnonzero(np.not_equal(clusters, _NONE))
        self.stories = self.ids.copy()  # a lone mention is its own story
        cluster_ids = map(attrgetter("id"), clusters[clustered])
        self.stories[clustered] = np.fromiter(map(hash, cluster_ids), np.int64, len(clustered))
        intents = np.fromiter(map(attrgetter("intent"), obs), object, n)
        scored = np.flatnonzero(np.not_equal(intents, _NONE))
        self.service = np.zeros(n, bool)  # service requests, counted per window
        labels = np.fromiter(map(attrgetter("label"), intents[scored]), object, len(scored))
        self.service[scored] = labels == SERVICE_REQUEST
        table: dict[tuple[str, tuple[str, ...]], int] = {}  # (tenant, brands) → first row
        keys = map(attrgetter("tenant", "brands"), obs)
        first_rows = np.fromiter(map(table.setdefault, keys, count()), np.int64, n)
        number = np.zeros(n, np.int64)  # first row of a key → the key's number, by reading
        number[list(table.values())] = np.arange(len(table))
        self.key_ids = number[first_rows]
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
        self.service = np.concatenate([p.service for p in parts])
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
