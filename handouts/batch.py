"""Work on every core. Many handouts in one run: the libraries load once, then worker
processes forked from this one build the handouts side by side, one per core (fifty used to
cost fifty starts of Python and fifty loads of WeasyPrint, about a second each). One
handout: Beside prints its PDF in a second process while this one does the rest."""

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import threading

from . import pipeline

CAN_FORK = "fork" in multiprocessing.get_all_start_methods()


def run_all(task, items, jobs=None):
    """Yield task(item) for every item, in order: in this process for one item, else in
    forked workers. A task reports its own failures; one does not stop the others."""
    jobs = min(jobs or len(os.sched_getaffinity(0)), len(items))
    if jobs <= 1 or not CAN_FORK:
        yield from map(task, items)
        return
    pipeline.preload()  # loaded before the fork, so every worker shares it
    with multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_signals) as pool:
        yield from pool.imap(task, items)
        pool.close()  # the workers end as processes do, tidying up (pdf_writer.release),
        pool.join()   # rather than being stopped


def _worker_signals():
    """A worker leaves Ctrl+C to the process that started it, which stops the workers;
    stopped (SIGTERM), a worker ends as processes do, tidying up, without a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stopped)


def _stopped(*_):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stopped once: the tidying is not cut short
    sys.exit(1)


class Beside:
    """task(*args) in a process forked when this is made, so that one handout's work uses
    two cores: there, prepare() runs at once (loading the task's libraries) while this
    process gets the first arguments ready. send() hands arguments over and result() waits
    for that task's answer, raising its exception as if it had run here; then the next.
    Without fork (or with fork=False) each task runs here, when its result is asked for.
    Use it in a with block: on leaving, the process ends once it has answered (its answers
    dropped), or at once if it was never sent anything. finish() runs there before it ends
    (it ends without Python's exit handlers, which it shares with this process)."""

    def __init__(self, task, prepare, fork=True, finish=None):
        self.task, self.waiting, self.child, self.sending = task, [], None, None
        if fork and CAN_FORK:
            self._fork(prepare, finish or (lambda: None))

    def _fork(self, prepare, finish):
        inbound, to_child = os.pipe()
        from_child, outbound = os.pipe()
        self.child = os.fork()
        if self.child == 0:  # pragma: no cover - runs in the forked process
            os.close(to_child)
            os.close(from_child)
            _serve(self.task, prepare, finish, os.fdopen(inbound, "rb"),
                   os.fdopen(outbound, "wb"))
        os.close(inbound)
        os.close(outbound)
        self._to, self._from = os.fdopen(to_child, "wb"), os.fdopen(from_child, "rb")

    def send(self, *args):
        """Hand over one task's arguments; returns at once. (A page is larger than a pipe
        holds, so a thread writes it while the other process is still preparing.)"""
        if self.child is None:
            self.waiting.append(args)
            return
        data = pickle.dumps(args)  # in this thread: arguments that cannot be sent fail here
        self.sending = threading.Thread(target=_send, args=(self._to, data), daemon=True)
        self.sending.start()

    def result(self):
        """The answer to the oldest task sent and not yet answered."""
        if self.child is None:
            return self.task(*self.waiting.pop(0))
        self.sending.join()
        outcome = _read(self._from)
        if outcome is None:
            raise RuntimeError("the process working beside this one stopped without a result")
        ok, value = outcome
        if not ok:
            raise value
        return value

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.child is None:
            return
        if self.sending is None:  # never sent anything, only preparing: stopped at once
            os.kill(self.child, signal.SIGKILL)
        else:
            self.sending.join()
        with contextlib.suppress(OSError):  # a process that has stopped reads no more
            self._to.close()    # no more tasks: the process ends, once it has answered
        self._from.close()  # an answer not asked for is dropped
        os.waitpid(self.child, 0)
        self.child = None


def _serve(task, prepare, finish, inbound, outbound):  # pragma: no cover - forked process
    """The forked side of Beside: prepare, then for each arguments received, send back
    (True, the task's result) or (False, its exception), until the sender closes. It never
    returns: whatever happens (Ctrl-C too), it must not go on in the sender's code."""
    try:
        try:
            prepare()
            failure = None
        except BaseException as exc:  # noqa: BLE001 - reported for each task sent
            failure = exc
        while (args := _read(inbound)) is not None:
            try:
                if failure is not None:
                    raise failure
                outcome = (True, task(*args))
            except BaseException as exc:  # noqa: BLE001 - every failure goes back
                outcome = (False, exc)
            try:
                _write_pickled(outbound, _pickled(outcome))
            except BrokenPipeError:  # the sender stopped listening
                break
    finally:
        try:
            finish()
        finally:
            os._exit(0)


def _pickled(outcome):
    """outcome pickled, or (False, a RuntimeError naming what went wrong) where it would
    not arrive whole: a result or exception that cannot be pickled, or an exception that
    cannot be unpickled (results are plain data, a PDF's bytes: not loaded again here)."""
    try:
        data = pickle.dumps(outcome)
        if not outcome[0]:
            pickle.loads(data)
        return data
    except Exception as exc:  # noqa: BLE001
        error = outcome[1] if not outcome[0] else exc
        return pickle.dumps((False, RuntimeError(f"{type(error).__name__}: {error}")))


def _send(pipe, data):
    """Pickled arguments written, in the sending thread: a process that stopped is
    reported by result()."""
    with contextlib.suppress(OSError):
        _write_pickled(pipe, data)


def _write_pickled(pipe, data):
    pipe.write(len(data).to_bytes(8, "big") + data)
    pipe.flush()


def _read(pipe):
    """The next value written by _write_pickled, or None when the writer has closed the
    pipe (or stopped part way through)."""
    header = pipe.read(8)
    if len(header) < 8:
        return None
    size = int.from_bytes(header, "big")
    data = pipe.read(size)
    return pickle.loads(data) if len(data) == size else None
