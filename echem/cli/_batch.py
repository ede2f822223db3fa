"""The work of ``echem fit`` on each spectrum (fit, Lin-KK, arcs, plot), in this process or
in chunks on worker processes that end with the command.

Speed: drawing a fit report costs more than fitting it, mostly in building a matplotlib
figure with its axes and ticks. A :class:`Pipeline` draws every report of its run into one
figure (:func:`echem.plot.fit_report` with ``figure=``: same pixels, about half the time)
with the Agg backend, and a worker process runs a whole chunk of spectra through one
pipeline, so that the figure is built once per chunk, the plots are rendered where the
fits are made, and only numbers travel between processes.

Ending: a worker process turns SIGTERM into an exception, so that a plot being written is
removed (:mod:`echem._atomic`), and then exits; it also ends when its parent is gone (the
command killed outright). :func:`local_pool` ends its workers when the command is
interrupted or terminated.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import pandas as pd

__all__ = [
    "Settings",
    "Task",
    "Outcome",
    "Pipeline",
    "local_pool",
    "run_tasks",
    "run_chunk",
    "usable_cores",
]

#: The canonical columns a worker needs from a sweep (the rest stays in the parent).
TASK_COLUMNS: tuple[str, ...] = ("time_s", "freq_Hz", "z_real_ohm", "z_imag_ohm")

#: Spectra per chunk sent to a worker at most (the progress bar moves by chunks).
MAX_CHUNK = 8

#: Chunks per worker at least, so that the workers finish together.
CHUNKS_PER_WORKER = 8

#: Seconds a worker is given to end after SIGTERM before it is killed.
END_GRACE_S = 3.0

#: Seconds between a worker's checks that its parent is still there.
PARENT_CHECK_S = 0.5

#: Extra options of ``savefig`` per plot file type: PNGs compressed at zlib level 1 (the
#: pixels are the same; the file is ~15 % larger and written ~25 ms faster than at level 6).
SAVE_OPTIONS: dict[str, dict[str, Any]] = {".png": {"pil_kwargs": {"compress_level": 1}}}

#: Exit code of a worker ended by SIGTERM.
_TERMINATED = 128 + signal.SIGTERM


@dataclass(frozen=True)
class Settings:
    """What to do with every spectrum of a run.

    Attributes
    ----------
    circuit
        Circuit text.
    weighting
        Residual weighting of the fit (:mod:`echem.eis.weighting`).
    kk
        Run the Lin-KK test.
    arc_options
        Keyword arguments of :func:`echem.eis.arcs` (a preset's roles); empty for the
        result's own arcs.
    dpi
        Resolution of PNG plots, dots per inch (SVG and PDF are vector files).
    """

    circuit: str
    weighting: str = "modulus"
    kk: bool = False
    arc_options: dict[str, Any] = field(default_factory=dict)
    dpi: int = 120


@dataclass(frozen=True)
class Task:
    """One spectrum to process.

    Attributes
    ----------
    frame
        The sweep's points (:data:`TASK_COLUMNS`), already restricted to the frequency range.
    title
        What the plot's title starts with (file and sweep), shown literally.
    plot
        Where the fit report goes (PNG, SVG or PDF by its extension); None for no plot.
    """

    frame: pd.DataFrame
    title: str
    plot: Path | None = None


@dataclass
class Outcome:
    """What became of one :class:`Task`.

    Attributes
    ----------
    result
        The FitResult, None when the fit failed.
    error
        Why the fit failed ("ErrorType: message"), else None.
    kk
        The Lin-KK result, None when not asked for or failed.
    arcs
        The arcs table of the result, None without a result.
    plot_error
        Why the plot could not be written, else None.
    problems
        ("Lin-KK" or "arcs", message) for each step that failed without failing the fit.
    """

    result: Any = None
    error: str | None = None
    kk: Any = None
    arcs: pd.DataFrame | None = None
    plot_error: str | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)


def task_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``frame`` a worker needs, without the file's metadata (``attrs``),
    so that only the numbers are sent."""
    columns = [name for name in TASK_COLUMNS if name in frame.columns]
    return pd.DataFrame({name: frame[name].to_numpy() for name in columns})


#: Loggers of the libraries matplotlib writes files with, whose chatter is no news to the user
#: (fontTools, embedding fonts in a PDF: "'created' timestamp seems very low", once per font
#: per plot): their records go nowhere unless the caller configured logging for them.
QUIET_LOGGERS: tuple[str, ...] = ("fontTools",)


def quiet_library_logs() -> None:
    """Give each logger of :data:`QUIET_LOGGERS` a null handler, so that Python's last-resort
    handler does not print its warnings on stderr, where the CLI reports one line per
    failure (a no-op once done, and for loggers the caller has given handlers)."""
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())


def literal_text(text: str) -> str:
    """``text`` as matplotlib shows it literally: a ``$`` (``a$^$b.z``) would otherwise
    start mathtext, fail to parse and lose the plot."""
    return text.replace("$", r"\$")


class Pipeline:
    """Fits, checks and draws spectra one chunk after another, every report in one figure.

    Call :meth:`close` (or use it as a context manager) to release the figure.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._figure: Any = None
        quiet_library_logs()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the figure."""
        if self._figure is not None:
            from echem.plot._figure import pyplot

            pyplot().close(self._figure)
            self._figure = None

    def run(self, tasks: Sequence[Task]) -> list[Outcome]:
        """Fit every task's spectrum (:func:`echem.eis.fit_many`), then test, interpret and
        draw each; one :class:`Outcome` per task, in order."""
        from echem.eis import fit_many

        table = fit_many(
            [task.frame for task in tasks],
            self.settings.circuit,
            executor=None,
            progress=False,
            weighting=self.settings.weighting,
        )
        outcomes = []
        for position, task in enumerate(tasks):
            row = table.loc[position]
            error = row["error"]
            outcome = Outcome(result=row["result"], error=None if pd.isna(error) else str(error))
            if outcome.result is None and outcome.error is None:
                outcome.error = "fit failed"
            self._check(task, outcome)
            if outcome.result is not None and task.plot is not None:
                outcome.plot_error = self._draw(task, outcome)
            outcomes.append(outcome)
        return outcomes

    def _check(self, task: Task, outcome: Outcome) -> None:
        """Lin-KK (when asked for) and the arcs of the result."""
        from echem.eis import lin_kk
        from echem.eis.arc_table import arcs
        from echem.eis.sweeps import impedance_points

        if self.settings.kk:
            freq, z, _ = impedance_points(task.frame)
            try:
                outcome.kk = lin_kk(freq, z)
            except ValueError as error:
                outcome.problems.append(("Lin-KK", str(error)))
        if outcome.result is None:
            return
        try:
            options = self.settings.arc_options
            outcome.arcs = arcs(outcome.result, **options) if options else outcome.result.arcs
        except ValueError as error:
            outcome.problems.append(("arcs", str(error)))

    def _draw(self, task: Task, outcome: Outcome) -> str | None:
        """Draw the fit report into the pipeline's figure and write it; the error message
        instead of an exception."""
        import matplotlib

        matplotlib.use("Agg")  # never a window; rendering only
        from echem import plot

        try:
            self._figure = plot.fit_report(outcome.result, kk=outcome.kk, figure=self._figure)
            title = f"{literal_text(task.title)}   {self._figure.get_suptitle()}"
            self._figure.suptitle(title, fontsize="medium")
            options = SAVE_OPTIONS.get(task.plot.suffix.lower(), {})
            plot.save(self._figure, task.plot, dpi=self.settings.dpi, close=False, **options)
        except Exception as error:  # noqa: BLE001 - reported as one line by the caller
            self.close()  # a figure left half-drawn is not reused
            return f"{type(error).__name__}: {error}"
        return None


#: The pipeline of this worker process, made by :func:`_start_worker` in the workers of a
#: :func:`local_pool` only (None elsewhere): kept from chunk to chunk, so that a worker
#: builds its figure once.
_worker_pipeline: Pipeline | None = None


def run_chunk(tasks: Sequence[Task], settings: Settings) -> list[Outcome]:
    """Process a chunk of tasks (what a worker process runs): with the worker's own
    :class:`Pipeline` in a :func:`local_pool`, else (dask) with one for the chunk.

    A worker ended by SIGTERM (:func:`_start_worker`) leaves here: the output being written
    has been removed on the way, and the process exits at once.
    """
    try:
        if _worker_pipeline is not None and _worker_pipeline.settings == settings:
            return _worker_pipeline.run(tasks)
        with Pipeline(settings) as pipeline:
            return pipeline.run(tasks)
    except _WorkerEnd:
        os._exit(_TERMINATED)  # the pool would otherwise catch the exit and go on


class _WorkerEnd(SystemExit):
    """Raised in a worker on SIGTERM: unwinds (removing temporaries) and exits."""


def _end_worker(_signum: int, _frame: FrameType | None) -> None:
    raise _WorkerEnd(_TERMINATED)


def _watch_parent(parent: int) -> None:
    """End this worker (as SIGTERM would) once its parent process is gone."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    signal_thread = getattr(signal, "pthread_kill", None)  # POSIX
    if signal_thread is not None:
        signal_thread(threading.main_thread().ident, signal.SIGTERM)
        time.sleep(END_GRACE_S)
    os._exit(_TERMINATED)  # the main thread did not unwind in time


def _start_worker(parent: int, settings: Settings) -> None:
    """Initializer of a local worker process: its pipeline for ``settings``; SIGTERM
    unwinds and exits; Ctrl-C is left to the parent, which ends the workers (a worker
    interrupted between chunks would print a traceback); the worker ends with its parent.

    SIGTERM arriving before this returns exits at once: raised out of an initializer, it
    would be logged by the pool as "Exception in initializer" with a traceback on stderr.
    """
    global _worker_pipeline
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, _end_worker)
        _worker_pipeline = Pipeline(settings)
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    except _WorkerEnd:
        os._exit(_TERMINATED)


def _end_processes(processes: Sequence[multiprocessing.process.BaseProcess]) -> None:
    """SIGTERM to each process, then SIGKILL to those still running after the grace."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + END_GRACE_S
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


def _preload(plots: bool) -> None:
    """Import what the workers need before they are forked, so that they start at once."""
    import echem.eis.arc_table
    import echem.eis.batch
    import echem.eis.fitting
    import echem.eis.kk  # noqa: F401

    if plots:
        import matplotlib

        matplotlib.use("Agg")
        import echem.plot.impedance  # noqa: F401
        from echem.plot._figure import pyplot

        pyplot()


@contextmanager
def local_pool(jobs: int, settings: Settings, plots: bool = True) -> Iterator[Executor]:
    """A process pool of ``jobs`` workers that end with the command, each with a
    :class:`Pipeline` for ``settings`` that it keeps from chunk to chunk.

    When the body raises (an error, Ctrl-C, :class:`echem.cli._command.Terminated`), the
    queued chunks are cancelled and the workers are ended at once (SIGTERM, then SIGKILL
    after :data:`END_GRACE_S`), instead of the pool waiting for their running chunks.
    """
    _preload(plots)
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(
        max_workers=jobs, initializer=_start_worker, initargs=(os.getpid(), settings)
    )
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        _end_processes([p for p in multiprocessing.active_children() if p not in before])
        # Its workers gone, the pool's manager thread ends at once: wait for it, or it may
        # close its wake-up pipe while Python's exit hook writes to it (CPython 3.11:
        # "OSError: [Errno 9] Bad file descriptor" printed after "echem: terminated").
        pool.shutdown(wait=True)
        raise
    pool.shutdown()


def usable_cores() -> int:
    """The number of cores this process may run on (its CPU affinity where the system tells
    it, e.g. under ``taskset`` or a container's limit; else every core)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def chunk_size(tasks: int, workers: int) -> int:
    """Spectra per chunk: :data:`CHUNKS_PER_WORKER` chunks per worker at least, and at most
    :data:`MAX_CHUNK` spectra each."""
    return max(1, min(MAX_CHUNK, -(-tasks // (workers * CHUNKS_PER_WORKER))))


def run_tasks(
    tasks: Sequence[Task],
    settings: Settings,
    executor: Executor | None,
    *,
    workers: int = 1,
    done: Callable[[int], None] = lambda n: None,
) -> list[Outcome]:
    """Process every task; one :class:`Outcome` per task, in order.

    Parameters
    ----------
    tasks
        The spectra.
    settings
        What to do with each.
    executor
        None for this process (one figure for the whole run), else chunks are submitted to
        it (:func:`local_pool`, a dask.distributed executor...).
    workers
        How many workers the executor has (sets the chunk size).
    done
        Called with the number of tasks finished, as they finish (a progress bar).
    """
    outcomes: list[Outcome | None] = [None] * len(tasks)
    if executor is None:
        size = chunk_size(len(tasks), 1)
        with Pipeline(settings) as pipeline:
            for start in range(0, len(tasks), size):
                chunk = tasks[start : start + size]
                outcomes[start : start + len(chunk)] = pipeline.run(chunk)
                done(len(chunk))
        return outcomes  # type: ignore[return-value]
    size = chunk_size(len(tasks), workers)
    futures = {
        executor.submit(run_chunk, tasks[start : start + size], settings): start
        for start in range(0, len(tasks), size)
    }
    try:
        for future in as_completed(futures):
            start = futures[future]
            count = min(size, len(tasks) - start)
            try:
                chunk_outcomes = future.result()
            except Exception as error:  # noqa: BLE001 - e.g. a worker died
                message = f"{type(error).__name__}: {error}"
                chunk_outcomes = [Outcome(error=message) for _ in range(count)]
            outcomes[start : start + count] = chunk_outcomes
            done(count)
    finally:
        for future in futures:
            future.cancel()
    return outcomes  # type: ignore[return-value]
