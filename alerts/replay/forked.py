"""map_forked: a function over items in forked processes that inherit what it refers to.

The processes are forked with the function itself as their target, so a closure over a whole
replay (its file mapping, its columns) reaches them as memory shared copy-on-write: nothing
is pickled on the way in, and no module global carries it. Only the results come back
through a pipe (pickled), with the first exception raised in a process re-raised here.
"""

import multiprocessing as mp
import os
import queue
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

PARALLEL_FROM = 50_000  # mentions: below this, forking costs more than it saves
_POLL_S = 1.0  # how often a wait for results checks that no process died


def processes_for(asked: int | None, n: int, parallel_from: int = PARALLEL_FROM) -> int:
    """How many processes for `n` mentions: as asked, else one per core from `parallel_from`
    on (where forking is available)."""
    if asked is not None:
        return asked
    if n < parallel_from or "fork" not in mp.get_all_start_methods():
        return 1
    return os.cpu_count() or 1


def map_forked(
    function: Callable[[Item], Result], items: Sequence[Item], processes: int,
    in_order: bool = False,
) -> list[Result]:  # fmt: skip
    """`function` over `items`, in order of `items`: one item at a time to whichever process
    is free, or (`in_order`) each process a run of consecutive items."""
    processes = min(processes, len(items))
    if processes <= 1:
        return [function(item) for item in items]
    context = mp.get_context("fork")
    todo: mp.SimpleQueue[int | None] = context.SimpleQueue()
    done: mp.Queue[tuple[int, bool, object]] = context.Queue()
    if in_order:
        size = -(-len(items) // processes)
        runs = [range(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    else:
        for i in range(len(items)):
            todo.put(i)
        runs = [range(0)] * processes

    def work(run: range) -> None:
        indices = iter(run) if in_order else iter(todo.get, None)
        for i in indices:
            try:
                done.put((i, True, function(items[i])))
            except BaseException as exc:  # re-raised by the parent
                done.put((i, False, exc))
                return

    workers = [context.Process(target=work, args=(run,), daemon=True) for run in runs]
    for worker in workers:
        worker.start()
    if not in_order:
        for _ in workers:
            todo.put(None)
    try:
        return _collect(done, len(items), workers)  # type: ignore[return-value]
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()


def _collect(
    done: "mp.Queue[tuple[int, bool, object]]", n: int, workers: Sequence["mp.process.BaseProcess"]
) -> list[object]:
    results: dict[int, object] = {}
    while len(results) < n:
        try:
            i, ok, value = done.get(timeout=_POLL_S)
        except queue.Empty:
            dead = [w for w in workers if w.exitcode not in (None, 0)]
            if dead:
                code = dead[0].exitcode
                raise RuntimeError(f"a replay process died (exit code {code})") from None
            continue
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        results[i] = value
    return [results[i] for i in range(n)]
