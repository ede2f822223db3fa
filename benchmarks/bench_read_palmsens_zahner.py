"""Read-speed benchmark of the PalmSens and Zahner readers against the reference parsers.

Each real file under ``../shared/data/real/{palmsens,zahner}`` is read with
``echem.read`` (sniffing and the canonical DataFrame included) and with every reference
parser of reference.json that runs here, each *including building a DataFrame* of what
it returns:

* ``.pssession``: ``pyimpspec.parse_data`` + ``DataSet.to_dataframe()`` (pyimpspec 5.1,
  GPL: measured, never imported by echem), and the stdlib route of reference.json:
  ``json.loads`` of the UTF-16 text + ``pandas.DataFrame`` of every data array.
* ``.ism``: ``zahner_analysis`` ``IsmImport`` + a DataFrame of frequency, |Z|, phase,
  Z', Z'' and the voltage/current tracks. ``.isw``: ``IswImport`` + a DataFrame of time,
  voltage and current.

Target: echem <= 1.5x the fastest reference of each file. Calls are interleaved in
rounds (echem, reference A, reference B, echem, ...), so that machine load weighs on all
alike; minima and medians are printed, ratios of both, and the target is judged on the
minima (as bench_read_neware.py does: on a shared machine a median also measures the
wait for a CPU). Each call is timed in CPU time of its process
(``time.process_time``: every reader here is single-threaded), which other processes on a
shared machine disturb less than wall time; ``--wall`` times wall-clock instead.

The reference packages need not be installed beside echem: ``--reference-python`` names
an interpreter that has them (e.g. a scratch venv: ``python3 -m venv /tmp/ref && /tmp/ref/
bin/pip install pyimpspec zahner_analysis pandas``); the benchmark then times them in a
worker process of that interpreter, round by round with echem's calls. References that
import here run in this process. A reference that is in neither is reported as missing.

Usage: ``python benchmarks/bench_read_palmsens_zahner.py [--reference-python PATH]
[--rounds R] [--calls K] [--wall]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import echem

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
FILES = (
    "palmsens/11_PEIS_700mV.pssession",
    "zahner/02_peis_ocv.ism",
    "zahner/geis-100ma.ism",
    "zahner/21-cp-625ma-5min.isw",
)
TARGET = 1.5

#: The reference readers, as source run here or in the worker: name -> f(path) -> DataFrame.
REFERENCE_SOURCE = r"""
import json as _json
import time as _time

import pandas as _pd


def stdlib_json(path):
    text = open(path, "rb").read().decode("utf-16")
    session = _json.loads(text[: text.rfind("}") + 1])
    frames = []
    for measurement in session["Measurements"]:
        arrays = measurement["DataSet"]["Values"]
        frames.append(
            _pd.DataFrame({a["Description"]: [v["V"] for v in a["DataValues"]] for a in arrays})
        )
    return frames


def pyimpspec(path):
    import pyimpspec as _pyimpspec

    return [data.to_dataframe() for data in _pyimpspec.parse_data(path)]


def zahner_analysis_ism(path):
    from zahner_analysis.file_import.ism_import import IsmImport

    ism = IsmImport(path)
    z = ism.getComplexImpedanceArray()
    columns = {
        "frequency/Hz": ism.getFrequencyArray(),
        "impedance/Ohm": ism.getImpedanceArray(),
        "phase/rad": ism.getPhaseArray(),
        "Zreal/Ohm": z.real,
        "Zimag/Ohm": z.imag,
    }
    for track in ism.getTrackTypesList():
        columns[track] = ism.getTrack(track)
    return _pd.DataFrame(columns)


def zahner_analysis_isw(path):
    from zahner_analysis.file_import.isw_import import IswImport

    isw = IswImport(path)
    return _pd.DataFrame(
        {
            "time/s": isw.getTimeArray(),
            "voltage/V": isw.getVoltageArray(),
            "current/A": isw.getCurrentArray(),
        }
    )


READERS = {
    "json(stdlib)": stdlib_json,
    "pyimpspec": pyimpspec,
    "zahner_analysis": zahner_analysis_ism,
    "zahner_analysis(isw)": zahner_analysis_isw,
}


def available(name):
    module = {"pyimpspec": "pyimpspec", "json(stdlib)": "json"}.get(name, "zahner_analysis")
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def timed(name, path, calls, wall=False):
    reader = READERS[name]
    clock = _time.perf_counter if wall else _time.process_time
    times = []
    for _ in range(calls):
        start = clock()
        reader(path)
        times.append(clock() - start)
    return times
"""

#: The worker: reads "name<TAB>path<TAB>calls" lines, answers with JSON lists of seconds.
WORKER_LOOP = r"""
import sys, json
for line in sys.stdin:
    command, name, path, calls, wall = line.rstrip("\n").split("\t")
    if command == "available":
        print(json.dumps(available(name)), flush=True)
    else:
        print(json.dumps(timed(name, path, int(calls), wall == "1")), flush=True)
"""

#: File suffix -> reference names, as reference.json names the parsers.
REFERENCES = {
    ".pssession": ("json(stdlib)", "pyimpspec"),
    ".ism": ("zahner_analysis",),
    ".isw": ("zahner_analysis(isw)",),
}


class _Worker:
    """The reference source run in another interpreter, one request at a time."""

    def __init__(self, python: str) -> None:
        self.process = subprocess.Popen(
            [python, "-c", REFERENCE_SOURCE + WORKER_LOOP],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, command: str, name: str, path: str = "", calls: int = 0, wall: bool = False):
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{command}\t{name}\t{path}\t{calls}\t{int(wall)}\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def _echem_times(path: Path, calls: int, wall: bool) -> list[float]:
    clock = time.perf_counter if wall else time.process_time
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", echem.EchemWarning)  # none expected; never printed
        for _ in range(calls):
            start = clock()
            echem.read(path)
            times.append(clock() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference-python", help="interpreter with the reference packages")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=20, help="calls per reader per round")
    parser.add_argument("--wall", action="store_true", help="wall-clock instead of CPU time")
    args = parser.parse_args()
    wall = args.wall

    local: dict = {}
    exec(REFERENCE_SOURCE, local)  # noqa: S102 - the benchmark's own reference code
    worker = _Worker(args.reference_python) if args.reference_python else None
    clock = "wall-clock" if wall else "CPU (process_time)"
    print(f"python {sys.version.split()[0]}, echem {getattr(echem, '__version__', '?')}, {clock}")
    print(f"{'file':<36}{'reader':<22}{'min ms':>9}{'ratio':>8}{'median ms':>11}{'ratio':>8}")
    failures = []
    try:
        for relative in FILES:
            path = REAL / relative
            if not path.exists():
                print(f"{relative:<36}(absent: {REAL} has no such file)")
                continue
            runners = {"echem": lambda n, p=path: _echem_times(p, n, wall)}
            for name in REFERENCES[path.suffix]:
                if local["available"](name):
                    runners[name] = lambda n, name=name, p=path: local["timed"](
                        name, str(p), n, wall
                    )
                elif worker is not None and worker.ask("available", name):
                    runners[name] = lambda n, name=name, p=path: worker.ask(
                        "time", name, str(p), n, wall
                    )
                else:
                    print(f"{relative:<36}{name:<22}{'missing (see --reference-python)':>18}")
            samples: dict[str, list[float]] = {name: [] for name in runners}
            for run in runners.values():  # warm: imports, caches
                run(2)
            for _ in range(args.rounds):
                for name, run in runners.items():
                    samples[name].extend(run(args.calls))
            minima = {name: min(times) for name, times in samples.items()}
            medians = {name: statistics.median(times) for name, times in samples.items()}
            fastest = min((t for n, t in minima.items() if n != "echem"), default=None)
            fastest_median = min((t for n, t in medians.items() if n != "echem"), default=None)
            for name in samples:
                label = relative if name == "echem" else ""
                cells = f"{label:<36}{name:<22}{minima[name] * 1e3:>9.3f}"
                if fastest is not None and fastest_median is not None:
                    cells += f"{minima[name] / fastest:>7.2f}x{medians[name] * 1e3:>11.3f}"
                    cells += f"{medians[name] / fastest_median:>7.2f}x"
                print(cells)
            if fastest is not None and minima["echem"] > TARGET * fastest:
                failures.append(relative)
    finally:
        if worker is not None:
            worker.close()
    verdict = "all within" if not failures else f"over target: {', '.join(failures)};"
    print(f"target: echem <= {TARGET}x the fastest reference; {verdict}")


if __name__ == "__main__":
    main()
