"""Every cut of the last two lines of every real BioLogic .mpt, read by echem.

A copy cut short (interrupted, or a run still being written) may end at any byte. For
each real .mpt of ``../shared/data/real`` (or ``$ECHEM_REAL_DATA``) that reads, the file
is cut at every byte of its last two lines and read with ``read_mpt``; each read is
judged against the whole file's frame by the verdict of the fast test
(``tests/io/test_biologic_mpt.py``, :func:`cut_verdict`, which this script imports):

* ``ok: read whole`` / ``ok: nothing of the cut line left``: the rows and numbers of the
  whole file (the cut line read whole, or nothing of it left);
* ``ok: warned``: the cut line left out with a ``TruncatedDataWarning``;
* ``ok: warned (no rows, columns unverifiable)``: a file ending in its column line;
* ``ok: ParseError``: refused, naming the line;
* anything else is a fault: ``a value differs ... in silence``, ``a column's type
  changed``, ``other columns or rows ... in silence``, a stray exception.

The test samples these cut points (and takes every one of ``zir.mpt`` and
``wait*.mpt``); this script takes them all, on the whole files: 34,860 reads, a few
minutes per core. It is a script, not a test. To measure another tree (e.g. before a
fix), run it with that tree first on the path:
``PYTHONPATH=/path/to/old/tree python benchmarks/fuzz_mpt_cuts.py``.

Usage: ``python benchmarks/fuzz_mpt_cuts.py [--jobs N] [NAME ...]`` (names: file names
to restrict the run to).
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


def _test_module():
    """tests/io/test_biologic_mpt.py, imported as pytest does (tests/ on the path)."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    spec = importlib.util.spec_from_file_location(
        "test_biologic_mpt", TESTS / "io" / "test_biologic_mpt.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fuzz_file(path: Path) -> tuple[str, dict[str, list[int]], float]:
    """(file name, verdict -> cut points, seconds) of every cut of the last two lines."""
    tests = _test_module()
    data = path.read_bytes()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        verdicts = tests.fuzz_cuts(path.name, data, Path(folder), tests.last_two_lines(data))
    return path.name, verdicts, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    parser.add_argument("names", nargs="*", help="only these file names")
    args = parser.parse_args()
    import echem

    files = _test_module().CUT_FILES
    if args.names:
        files = [path for path in files if path.name in args.names]
    if not files:
        sys.exit("no real .mpt files found (../shared/data/real or $ECHEM_REAL_DATA)")
    print(f"echem from {Path(echem.__file__).parent}; {len(files)} files")
    files.sort(key=lambda path: -path.stat().st_size)  # largest first, for the pool
    totals: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = sorted(pool.map(fuzz_file, files))
    for name, verdicts, seconds in results:
        counts = {verdict: len(cuts) for verdict, cuts in sorted(verdicts.items())}
        totals.update(counts)
        faults = {v: cuts[:6] for v, cuts in verdicts.items() if not v.startswith("ok")}
        print(f"{name:32s} {sum(counts.values()):6d} cuts {seconds:6.1f} s  {counts}")
        for verdict, cuts in faults.items():
            print(f"{'':32s} FAULT {verdict}: at bytes {cuts}...")
    print(f"\n{sum(totals.values())} cut points, {time.perf_counter() - started:.0f} s:")
    for verdict, count in sorted(totals.items()):
        print(f"  {count:6d}  {verdict}")
    faults = sum(count for verdict, count in totals.items() if not verdict.startswith("ok"))
    print(f"  {faults:6d}  faults in all")


if __name__ == "__main__":
    main()
