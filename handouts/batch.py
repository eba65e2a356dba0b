"""Many handouts in one run: the libraries load once, then worker processes forked from
this one build the handouts side by side, one per core. Fifty handouts used to cost fifty
starts of Python and fifty loads of WeasyPrint (about a second each)."""

import multiprocessing
import os

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
