"""Many handouts in one run: the libraries load once, then worker processes forked from
this one build the handouts side by side, one per core. Fifty handouts used to cost fifty
starts of Python and fifty loads of WeasyPrint (about a second each)."""

import multiprocessing
import os
import pickle

from . import pipeline


def run_all(task, items, jobs=None):
    """Yield task(item) for every item, in order: in this process for one item, else in
    forked workers. A task reports its own failures; one does not stop the others."""
    jobs = min(jobs or len(os.sched_getaffinity(0)), len(items))
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(task, items)
        return
    pipeline.preload()  # loaded before the fork, so every worker shares it
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from pool.imap(task, items)


def side_by_side(first, second):
    """(first(), second()), second run at the same time in a forked process: one handout's
    PDF and Word file on two cores. Its exceptions are raised here, as if run here."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return first(), second()
    readable, writable = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked process
        os.close(readable)
        try:
            payload = pickle.dumps((True, second()))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            try:
                payload = pickle.dumps((False, exc))
            except Exception:
                payload = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        with os.fdopen(writable, "wb") as out:
            out.write(payload)
        os._exit(0)
    os.close(writable)
    try:
        mine = first()
    finally:
        with os.fdopen(readable, "rb") as pipe:
            received = pipe.read()
        os.waitpid(child, 0)
    if not received:
        raise RuntimeError("the process writing beside this one stopped without a result")
    ok, theirs = pickle.loads(received)
    if not ok:
        raise theirs
    return mine, theirs
