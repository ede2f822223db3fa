"""Read-speed benchmark of echem's Neware reader against fastnda and NewareNDA.

Every real file under ``../shared/data/real/neware`` is read with ``echem.read``
(sniffing and the canonical DataFrame included) and with the reference parsers of
reference.json, each *including building a pandas DataFrame* of what it returns:

* ``fastnda.read(path).to_pandas()`` (fastnda 1.3.1, Empa: polars inside);
* ``NewareNDA.read(path)`` (NewareNDA 2026.6.11, SES AI: a pandas DataFrame already;
  it reads neither .nda version 8 nor 22).

``--scale K`` adds an .nda of version 22 made of K copies of nda_v22.nda's records (a
new cycle each, K x 1380 rows) and an .ndax of K // 15 copies of nw4-120-1-6-53.ndax
(K // 15 x 18700 rows), to see the rate on files of realistic size.

Targets: echem <= 1.5x the fastest reference of each file, and no slower than fastnda
(echem decodes Neware files itself). Calls are interleaved in rounds (echem, fastnda,
NewareNDA, echem, ...) so that machine load weighs on all alike; medians and minima are
printed, the targets judged on the minima (the least disturbed calls: on a shared
machine the medians measure the queue for a CPU as much as the reader).

The references need not be installed beside echem: ``--reference-python`` names an
interpreter that has them (``python3 -m venv /tmp/ref && /tmp/ref/bin/pip install fastnda
NewareNDA pandas pyarrow``); they are then timed in a worker process of that interpreter,
round by round with echem's calls. A reference that imports here runs in this process.

Wall clock by default; ``--cpu`` times CPU instead (``time.process_time``: every thread
of the process, so a multi-threaded reader is charged for all of its work). On a shared
machine the two differ most for reads that allocate much fresh memory: at a few hundred
thousand rows echem's wall time is mostly the kernel faulting in new pages (its user
CPU is well below fastnda's), which the minima show as a ratio near or above 1.

Usage: ``python benchmarks/bench_read_neware.py [--reference-python PATH] [--rounds R]
[--calls K] [--scale K] [--cpu]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import echem

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real" / "neware"
TARGET = 1.5

#: The reference readers, as source run here or in the worker.
REFERENCE_SOURCE = r"""
import json as _json
import logging as _logging
import time as _time
import warnings as _warnings

_logging.disable(_logging.CRITICAL)


def fastnda(path):
    import fastnda as _fastnda

    return _fastnda.read(path).to_pandas()


def newarenda(path):
    import NewareNDA as _newarenda

    return _newarenda.read(path)


READERS = {"fastnda": fastnda, "NewareNDA": newarenda}


def available(name, path):
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            READERS[name](path)
    except ImportError:
        return "missing"
    except Exception as error:
        return f"fails: {type(error).__name__}: {error}"
    return "ok"


def timed(name, path, calls, cpu=False):
    reader = READERS[name]
    clock = _time.process_time if cpu else _time.perf_counter
    times = []
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        for _ in range(calls):
            start = clock()
            reader(path)
            times.append(clock() - start)
    return times
"""

#: The worker: reads "command<TAB>name<TAB>path<TAB>calls<TAB>cpu" lines, answers in JSON.
WORKER_LOOP = r"""
import sys
for line in sys.stdin:
    command, name, path, calls, cpu = line.rstrip("\n").split("\t")
    if command == "available":
        print(_json.dumps(available(name, path)), flush=True)
    else:
        print(_json.dumps(timed(name, path, int(calls), cpu == "1")), flush=True)
"""


class _Worker:
    """The reference source run in another interpreter, one request at a time."""

    def __init__(self, python: str) -> None:
        self.process = subprocess.Popen(
            [python, "-c", REFERENCE_SOURCE + WORKER_LOOP],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, command: str, name: str, path: str, calls: int = 0, cpu: bool = False):
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{command}\t{name}\t{path}\t{calls}\t{int(cpu)}\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def _echem_times(path: Path, calls: int, cpu: bool = False) -> list[float]:
    clock = time.process_time if cpu else time.perf_counter
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", echem.EchemWarning)
        for _ in range(calls):
            start = clock()
            echem.read(path)
            times.append(clock() - start)
    return times


def scaled_nda(copies: int, folder: Path) -> Path:
    """nda_v22.nda's data records ``copies`` times: indices, cycle, step counter and
    Unix time continued, so that the copy is a valid version-22 file of one long test."""
    raw = (REAL / "nda_v22.nda").read_bytes()
    begin, length = (int.from_bytes(raw[at : at + 4], "little") for at in (64, 68))
    records = np.frombuffer(raw, np.uint8, count=length, offset=begin).reshape(-1, 86)
    data = records[records[:, 0] == 0x55]
    n = len(data)
    block = np.tile(data, (copies, 1))
    copy = np.repeat(np.arange(copies, dtype=np.int64), n)
    index = block[:, 2:6].copy().view("<u4").ravel() + (copy * n).astype(np.uint32)
    block[:, 2:6] = index.view(np.uint8).reshape(-1, 4)
    block[:, 6:10] = copy.astype("<u4").view(np.uint8).reshape(-1, 4)  # a cycle per copy
    block[:, 13] = (block[:, 13].astype(np.int64) + 3 * copy) % 256  # step counter
    span = 50_000
    unix = block[:, 70:78].copy().view("<u8").ravel() + (copy * span).astype(np.uint64)
    block[:, 70:78] = unix.view(np.uint8).reshape(-1, 8)
    body = block.tobytes()
    header = bytearray(raw[:begin])
    header[68:72] = len(body).to_bytes(4, "little")
    header[72:76] = (begin + len(body)).to_bytes(4, "little")  # no auxiliary records
    path = folder / f"nda_v22_x{copies}.nda"
    path.write_bytes(bytes(header) + body)
    return path


def _pages(filetype_byte: int, version: int, records: np.ndarray, header: bytes) -> bytes:
    """An .ndc file of 4096-byte pages holding ``records`` (uint8 rows) in order."""
    size = records.shape[1]
    per_page = (4096 - 132 - 1) // size
    out = [header]
    for first in range(0, len(records), per_page):
        chunk = records[first : first + per_page]
        page = bytearray(4096)
        page[0] = filetype_byte + 1
        page[2:4] = len(chunk).to_bytes(2, "little")
        mask = np.zeros(per_page, dtype=np.uint8)
        mask[: len(chunk)] = 1
        packed = np.packbits(mask, bitorder="little").tobytes()
        page[4 : 4 + len(packed)] = packed
        page[132 : 132 + chunk.size] = chunk.tobytes()
        out.append(bytes(page))
    return b"".join(out)


def scaled_ndax(copies: int, folder: Path) -> Path:
    """nw4-120-1-6-53.ndax (NDC 14) ``copies`` times: record slots, run-information
    indices, step numbers, cycles, each step's first record and Unix time continued."""
    import zipfile

    from echem.io.neware import _ndc

    source = REAL / "nw4-120-1-6-53.ndax"
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    out = dict(members)
    decoded = {}
    for name, filetype in (("data.ndc", 1), ("data_runInfo.ndc", 18), ("data_step.ndc", 7)):
        data = members[name]
        kind = _ndc.ndc_kind(data[2], filetype)
        layout = _ndc.layout_of(data, data[2], filetype, kind, name)
        decoded[name] = _ndc.page_records(data, layout, kind, name)
    main = decoded["data.ndc"]
    slots = int(main.slots[-1])  # the last record's slot: copies follow on
    runinfo = decoded["data_runInfo.ndc"].rows
    steps = decoded["data_step.ndc"].rows
    n_steps, span = len(steps), 200_000
    rows = []
    for k in range(copies):
        block = runinfo.copy()
        for at, offset in ((37, k * n_steps), (41, k * slots), (33, k * span)):  # step, index, s
            values = block[:, at : at + 4].copy().view("<u4").ravel() + offset
            block[:, at : at + 4] = values.astype("<u4").view(np.uint8).reshape(-1, 4)
        rows.append(block)
    step_rows = []
    for k in range(copies):
        block = steps.copy()
        for at, offset in ((0, k * 150), (33, k * slots)):  # cycle, the step's first record
            values = block[:, at : at + 4].copy().view("<u4").ravel() + offset
            block[:, at : at + 4] = values.astype("<u4").view(np.uint8).reshape(-1, 4)
        step_rows.append(block)
    main_rows = np.tile(main.rows, (copies, 1))
    if slots != len(main.rows):
        raise ValueError("nw4's data.ndc has empty slots inside: cannot tile it")
    out["data.ndc"] = _pages(1, 14, main_rows, members["data.ndc"][:4096])
    out["data_runInfo.ndc"] = _pages(18, 14, np.vstack(rows), members["data_runInfo.ndc"][:4096])
    out["data_step.ndc"] = _pages(7, 14, np.vstack(step_rows), members["data_step.ndc"][:4096])
    path = folder / f"nw4_x{copies}.ndax"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in out.items():
            archive.writestr(name, data)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference-python", help="interpreter with fastnda and NewareNDA")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=10, help="calls per reader per round")
    parser.add_argument("--scale", type=int, default=0, help="copies of nda_v22 in a big file")
    parser.add_argument(
        "--cpu", action="store_true", help="time CPU (process_time, all threads), not wall clock"
    )
    args = parser.parse_args()

    local: dict = {}
    exec(REFERENCE_SOURCE, local)  # noqa: S102 - the benchmark's own reference code
    worker = _Worker(args.reference_python) if args.reference_python else None
    scratch = tempfile.TemporaryDirectory()
    files = sorted(REAL.glob("*.nd*")) if REAL.exists() else []
    if args.scale and files:
        files.append(scaled_nda(args.scale, Path(scratch.name)))
        files.append(scaled_ndax(max(1, args.scale // 15), Path(scratch.name)))
    clock = "CPU time (process_time)" if args.cpu else "wall clock"
    print(f"python {sys.version.split()[0]}, echem {getattr(echem, '__version__', '?')}, {clock}")
    print(
        f"{'file':<46}{'rows':>7} {'reader':<11}{'median ms':>10}{'ratio':>8}"
        f"{'min ms':>10}{'ratio':>8}"
    )
    failures = []
    try:
        for path in files:
            rows = len(echem.read(path))
            runners = {"echem": lambda n, p=path: _echem_times(p, n, args.cpu)}
            notes = []
            for name in ("fastnda", "NewareNDA"):
                state = local["available"](name, str(path))
                if state == "missing" and worker is not None:
                    state = worker.ask("available", name, str(path))
                    if state == "ok":
                        runners[name] = lambda n, name=name, p=path: worker.ask(
                            "time", name, str(p), n, args.cpu
                        )
                elif state == "ok":
                    runners[name] = lambda n, name=name, p=path: local["timed"](
                        name, str(p), n, args.cpu
                    )
                if state != "ok":
                    note = "missing (see --reference-python)" if state == "missing" else state
                    notes.append(f"{'':<46}{'':>7} {name:<11}{note[:60]}")
            samples: dict[str, list[float]] = {name: [] for name in runners}
            for run in runners.values():  # warm: imports, caches
                run(2)
            calls = max(1, args.calls // 10) if rows > 100_000 else args.calls
            for _ in range(args.rounds):
                for name, run in runners.items():
                    samples[name].extend(run(calls))
            medians = {name: statistics.median(times) for name, times in samples.items()}
            minima = {name: min(times) for name, times in samples.items()}
            fastest = {
                kind: min((t for n, t in values.items() if n != "echem"), default=None)
                for kind, values in (("median", medians), ("min", minima))
            }
            for name in samples:
                ratios = [
                    "" if fastest[kind] is None else f"{values[name] / fastest[kind]:.2f}x"
                    for kind, values in (("median", medians), ("min", minima))
                ]
                label, count = (path.name, str(rows)) if name == "echem" else ("", "")
                print(
                    f"{label:<46}{count:>7} {name:<11}{medians[name] * 1e3:>10.3f}{ratios[0]:>8}"
                    f"{minima[name] * 1e3:>10.3f}{ratios[1]:>8}"
                )
            for note in notes:
                print(note)
            best = fastest["min"]
            slow = best is not None and minima["echem"] > TARGET * best
            slower_than_fastnda = minima["echem"] > minima.get("fastnda", float("inf"))
            if slow or slower_than_fastnda:
                failures.append(path.name)
    finally:
        if worker is not None:
            worker.close()
        scratch.cleanup()
    verdict = "all within" if not failures else f"missed by: {', '.join(failures)}"
    print(f"targets: echem <= {TARGET}x the fastest reference and <= fastnda; {verdict}")


if __name__ == "__main__":
    main()
