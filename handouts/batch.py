"""Work on every core. Many handouts in one run: the libraries load once, then worker
processes forked from this one build the handouts side by side, one per core (fifty used to
cost fifty starts of Python and fifty loads of WeasyPrint, about a second each). One
handout: Beside prints its PDF in a second process while this one does the rest."""

import contextlib
import multiprocessing
import os
import pickle
import signal
import threading

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
        pool.close()  # the workers end as processes do, tidying up (pdf_writer.release),
        pool.join()   # rather than being stopped


class Beside:
    """task(*args) in a process forked when this is made, so that one handout's work uses
    two cores: there, prepare() runs at once (loading the task's libraries) while this
    process gets the first arguments ready. send() hands arguments over and result() waits
    for that task's answer, raising its exception as if it had run here; then the next.
    Without fork (or with fork=False) each task runs here, when its result is asked for.
    Use it in a with block: on leaving, the process ends once it has answered (its answers
    dropped), or at once if it was never sent anything. finish() runs there before it ends (it ends without Python's exit handlers, which it
    shares with this process)."""

    def __init__(self, task, prepare, fork=True, finish=None):
        self.task, self.waiting, self.child, self.sending = task, [], None, None
        self.sent = 0
        if fork and "fork" in multiprocessing.get_all_start_methods():
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
        self.waiting.append(args)
        self.sent += 1
        if self.child is not None:
            self.sending = threading.Thread(target=_send, args=(self._to, args), daemon=True)
            self.sending.start()

    def result(self):
        """The answer to the oldest task sent and not yet answered."""
        if self.child is None:
            return self.task(*self.waiting.pop(0))
        self.sending.join()
        self.waiting.pop(0)
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
        if not self.sent:  # still preparing, for nothing: stopped at once
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
                _write(outbound, outcome)
            except BrokenPipeError:  # the sender stopped listening
                break
            except Exception as exc:  # an exception (or result) that cannot be sent as it is
                error = outcome[1] if not outcome[0] else exc
                _write(outbound, (False, RuntimeError(f"{type(error).__name__}: {error}")))
        finish()
    finally:
        os._exit(0)


def _send(pipe, value):
    """_write, in the sending thread: a process that stopped is reported by result()."""
    with contextlib.suppress(OSError):
        _write(pipe, value)


def _write(pipe, value):
    data = pickle.dumps(value)
    pipe.write(len(data).to_bytes(8, "big") + data)
    pipe.flush()


def _read(pipe):
    """The next value written by _write, or None when the writer has closed the pipe."""
    size = pipe.read(8)
    if len(size) < 8:
        return None
    data = pipe.read(int.from_bytes(size, "big"))
    return pickle.loads(data) if data else None
