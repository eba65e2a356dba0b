"""Work on every core. Many handouts in one run: the libraries load once, then worker
processes forked from this one build the handouts side by side, one per core (fifty used to
cost fifty starts of Python and fifty loads of WeasyPrint, about a second each). One
handout: Beside prints its PDF in a second process while this one does the rest."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import IO, Any, Generic, NoReturn, TypeVar

T = TypeVar("T")
Item = TypeVar("Item")

CAN_FORK = "fork" in multiprocessing.get_all_start_methods()


def run_all(task: Callable[[Item], T], items: Sequence[Item], jobs: int | None = None,
            preload: Callable[[], object] = lambda: None) -> Iterator[T]:
    """Yield task(item) for every item, in order: in this process for one item, else in
    forked workers, after preload() (the stages' libraries, pipeline.preload: passed in,
    as the pipeline uses this module). A task reports its own failures; one does not stop
    the others."""
    jobs = min(jobs or len(os.sched_getaffinity(0)), len(items))
    if jobs <= 1 or not CAN_FORK:
        yield from map(task, items)
        return
    preload()  # loaded before the fork, so every worker shares it
    with multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_signals) as pool:
        yield from pool.imap(task, items)
        pool.close()  # the workers end as processes do, tidying up (pdf_writer.release),
        pool.join()   # rather than being stopped


def _worker_signals() -> None:
    """A worker leaves Ctrl+C to the process that started it, which stops the workers;
    stopped (SIGTERM), a worker ends as processes do, tidying up, without a traceback. It
    is stopped so when the process that started it ends, killed or not."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stopped)
    if not _end_with_parent():
        threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()


def _end_with_parent() -> bool:
    """Ask Linux to send this process SIGTERM when the process that forked it ends (when
    the thread that forked it does); False where it cannot be asked."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    return True


PR_SET_PDEATHSIG = 1


def _watch_parent(parent: int) -> None:
    """Where no parent-death signal can be asked for: SIGTERM to this process once its
    parent has ended (it is then the child of another)."""
    while os.getppid() == parent:
        threading.Event().wait(1)
    os.kill(os.getpid(), signal.SIGTERM)


def _stopped(*_: object) -> NoReturn:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stopped once: the tidying is not cut short
    sys.exit(1)


class Beside(Generic[T]):
    """task(*args) in a process forked when this is made, so that one handout's work uses
    two cores: there, prepare() runs at once (loading the task's libraries) while this
    process gets the first arguments ready. send() hands arguments over and result() waits
    for that task's answer, raising its exception as if it had run here; then the next.
    Without fork (or with fork=False) each task runs here, when its result is asked for.
    Use it in a with block: on leaving, the process ends once it has answered (its answers
    dropped), or at once if it was never sent anything or the block failed; it also ends
    when this process does, killed or not. finish() runs there before it ends (it ends
    without Python's exit handlers, which it shares with this process)."""

    def __init__(self, task: Callable[..., T], prepare: Callable[[], object], fork: bool = True,
                 finish: Callable[[], object] | None = None) -> None:
        self.task = task
        self.waiting: list[tuple[object, ...]] = []
        self.child: int | None = None
        self.sending: threading.Thread | None = None
        if fork and CAN_FORK:
            self._fork(prepare, finish or (lambda: None))

    def _fork(self, prepare: Callable[[], object], finish: Callable[[], object]) -> None:
        inbound, to_child = os.pipe()
        from_child, outbound = os.pipe()
        # Never written: the forked process sees it close when this process ends.
        watched, self._alive = os.pipe()
        parent = os.getpid()
        self.child = os.fork()
        if self.child == 0:  # pragma: no cover - runs in the forked process
            for end in (to_child, from_child, self._alive):
                os.close(end)
            _serve(self.task, prepare, finish, os.fdopen(inbound, "rb"),
                   os.fdopen(outbound, "wb"), lambda: _end_with(parent, watched, finish))
        os.close(inbound)
        os.close(outbound)
        os.close(watched)
        self._to, self._from = os.fdopen(to_child, "wb"), os.fdopen(from_child, "rb")

    def send(self, *args: object) -> None:
        """Hand over one task's arguments; returns at once. (A page is larger than a pipe
        holds, so a thread writes it while the other process is still preparing.)"""
        if self.child is None:
            self.waiting.append(args)
            return
        data = pickle.dumps(args)  # in this thread: arguments that cannot be sent fail here
        self.sending = threading.Thread(target=_send, args=(self._to, data), daemon=True)
        self.sending.start()

    def result(self) -> T:
        """The answer to the oldest task sent and not yet answered."""
        if self.child is None:
            return self.task(*self.waiting.pop(0))
        if self.sending is not None:
            self.sending.join()
        outcome = _read(self._from)
        if outcome is None:
            raise RuntimeError("the process working beside this one stopped without a result")
        ok, value = outcome
        if not ok:
            raise value
        answer: T = value
        return answer

    def __enter__(self) -> Beside[T]:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: BaseException | TracebackType | None
                 ) -> None:
        if self.child is None:
            return
        if self.sending is None:  # never sent anything, only preparing: stopped at once
            os.kill(self.child, signal.SIGKILL)
        elif kind is not None:  # a failure here (or Ctrl+C, SIGTERM): its answer is not
            with contextlib.suppress(ProcessLookupError):  # waited for; it tidies up
                os.kill(self.child, signal.SIGTERM)
        if self.sending is not None:
            self.sending.join()
        with contextlib.suppress(OSError):  # a process that has stopped reads no more
            self._to.close()    # no more tasks: the process ends, once it has answered
        self._from.close()  # an answer not asked for is dropped
        if kind is None:
            os.waitpid(self.child, 0)
        else:
            _stopping(self.child)
        os.close(self._alive)
        self.child = None


def _stopping(child: int, patience: int = 10) -> None:
    """Wait for a forked process told to stop; one still there after patience seconds
    (stuck where no signal handler runs) is killed."""
    for _ in range(patience * 20):
        if os.waitpid(child, os.WNOHANG)[0]:
            return
        threading.Event().wait(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)


def _end_with(parent: int, watched: int,
              finish: Callable[[], object]) -> None:  # pragma: no cover - forked process
    """The forked side ends when the process that forked it does, however that ends:
    SIGTERM (from it, or from Linux when it ends) runs finish and ends this process, as
    does a thread that sees the never-written pipe `watched` close (where Linux cannot be
    asked, and should the thread that forked end first)."""
    def stopped(*_: object) -> NoReturn:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            finish()
        finally:
            os._exit(1)
    signal.signal(signal.SIGTERM, stopped)
    _end_with_parent()
    threading.Thread(target=_watch_pipe, args=(watched,), daemon=True).start()
    if os.getppid() != parent:  # it ended before Linux was asked
        os.kill(os.getpid(), signal.SIGTERM)


def _watch_pipe(watched: int) -> None:  # pragma: no cover - forked process
    with contextlib.suppress(OSError):
        os.read(watched, 1)  # returns when every writing end has closed
    os.kill(os.getpid(), signal.SIGTERM)


def _serve(task: Callable[..., object], prepare: Callable[[], object],
           finish: Callable[[], object], inbound: IO[bytes], outbound: IO[bytes],
           start: Callable[[], object]) -> NoReturn:  # pragma: no cover - forked
    """The forked side of Beside: start (which sees to it that this process ends with the
    one that forked it), prepare, then for each arguments received, send back (True, the
    task's result) or (False, its exception), until the sender closes. It never returns:
    whatever happens (Ctrl-C too), it must not go on in the sender's code."""
    try:
        start()
        try:
            prepare()
            failure: BaseException | None = None
        except BaseException as exc:  # noqa: BLE001 - reported for each task sent
            failure = exc
        while (args := _read(inbound)) is not None:
            try:
                if failure is not None:
                    raise failure
                outcome: tuple[bool, object] = (True, task(*args))
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


def _pickled(outcome: tuple[bool, object]) -> bytes:
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


def _send(pipe: IO[bytes], data: bytes) -> None:
    """Pickled arguments written, in the sending thread: a process that stopped is
    reported by result()."""
    with contextlib.suppress(OSError):
        _write_pickled(pipe, data)


def _write_pickled(pipe: IO[bytes], data: bytes) -> None:
    pipe.write(len(data).to_bytes(8, "big") + data)
    pipe.flush()


def _read(pipe: IO[bytes]) -> Any:
    """The next value written by _write_pickled, or None when the writer has closed the
    pipe (or stopped part way through). Any: whatever pickle.loads makes of it (arguments
    tuples one way, (ok, result or exception) the other)."""
    header = pipe.read(8)
    if len(header) < 8:
        return None
    size = int.from_bytes(header, "big")
    data = pipe.read(size)
    return pickle.loads(data) if len(data) == size else None
