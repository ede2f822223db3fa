"""Benchmark: phase volume and depth profile of a label stack larger than 2 GB, peak memory.

Writes a uint8 ImageJ label stack (default 512 pages of 2048 x 2048 = 2.15 GB; voxel
0.5 x 0.5 x 0.5 µm in the metadata) to a temporary folder, page by page, after checking
the free disk space, then measures in fresh subprocesses (peak RSS from
``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which counts the interpreter and its
imports too):

* echem: ``phase_volume`` and ``depth_profile`` (axis z and axis x, 10 µm slabs);
* the reference, what one writes with tifffile + numpy alone:
  ``np.count_nonzero(tifffile.imread(path) == label)`` (whole stack in memory).

Counts are checked against the exact count computed while writing. The file is deleted
at the end. The page cache is warm for both (the file was just written), so times
compare computation and copying, not the disk.

Usage: ``python benchmarks/bench_ct_memory.py [--pages 512] [--side 2048] [--no-reference]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import tifffile

LABEL = 2
VOXEL_UM = 0.5
LIMIT_MB = 500.0


def page(z: int, side: int) -> np.ndarray:
    """Page z of the synthetic label stack: 4 labels in 64-pixel tiles, shifting with z."""
    y = np.arange(side, dtype=np.int64)[:, None] // 64
    x = np.arange(side, dtype=np.int64)[None, :] // 64
    return ((y + x + z) % 4).astype(np.uint8)


def write_stack(path: Path, pages: int, side: int) -> tuple[int, list[int]]:
    """Write the stack page by page; return the exact label count and its count per page."""
    per_page: list[int] = []

    def generate():
        for z in range(pages):
            data = page(z, side)
            per_page.append(int(np.count_nonzero(data == LABEL)))
            yield data

    tifffile.imwrite(
        path,
        generate(),
        shape=(pages, side, side),
        dtype=np.uint8,
        imagej=True,
        resolution=(1 / VOXEL_UM, 1 / VOXEL_UM),
        metadata={"spacing": VOXEL_UM, "unit": "um", "axes": "ZYX"},
    )
    return sum(per_page), per_page


ECHEM_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys, time
    import numpy as np
    from echem.ct import depth_profile, phase_volume, read_stack
    path, label = sys.argv[1], int(sys.argv[2])
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stack = read_stack(path)
    t0 = time.perf_counter()
    volume = phase_volume(stack, label)
    t1 = time.perf_counter()
    profile_z = depth_profile(stack, label, axis="z", bin_um=10.0)
    t2 = time.perf_counter()
    profile_x = depth_profile(stack, label, axis="x", bin_um=10.0)
    t3 = time.perf_counter()
    print(json.dumps({
        "volume_um3": volume, "voxel_um": stack.voxel_size_um,
        "phase_s": t1 - t0, "depth_z_s": t2 - t1, "depth_x_s": t3 - t2,
        "profile_z_volume_um3": float(profile_z["phase_volume_um3"].sum()),
        "profile_x_volume_um3": float(profile_x["phase_volume_um3"].sum()),
        "profile_z_first": float(profile_z["fraction"].iloc[0]),
        "import_rss_mb": baseline,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
    """
)

REFERENCE_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys, time
    import numpy as np, tifffile
    path, label = sys.argv[1], int(sys.argv[2])
    t0 = time.perf_counter()
    count = int(np.count_nonzero(tifffile.imread(path) == label))
    t1 = time.perf_counter()
    print(json.dumps({
        "count": count, "phase_s": t1 - t0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
    """
)


def run(script: str, path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), str(LABEL)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],  # so that ``import echem`` finds the project
    )
    if done.returncode != 0:
        raise SystemExit(f"subprocess failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=512)
    parser.add_argument("--side", type=int, default=2048)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--dir", default=None, help="where to write (default: the temp dir)")
    args = parser.parse_args()

    size = args.pages * args.side * args.side
    root = Path(args.dir or tempfile.gettempdir())
    print(subprocess.run(["df", "-h", str(root)], capture_output=True, text=True).stdout.strip())
    free = shutil.disk_usage(root).free
    if free < size + 2 * 2**30:
        print(
            f"not enough free disk in {root}: {free / 1e9:.1f} GB for a {size / 1e9:.2f} GB stack"
        )
        return 1
    folder = Path(tempfile.mkdtemp(prefix="echem_bench_ct_", dir=root))
    try:
        path = folder / "labels.tif"
        t0 = time.perf_counter()
        expected, per_page = write_stack(path, args.pages, args.side)
        written = time.perf_counter() - t0
        print(
            f"stack: {args.pages} x {args.side} x {args.side} uint8 = {path.stat().st_size / 1e9:.2f} GB"
            f" on disk, written in {written:.1f} s; label {LABEL}: {expected} voxels"
        )
        voxel_volume = VOXEL_UM**3
        echem = run(ECHEM_SCRIPT, path)
        ok = (
            echem["volume_um3"] == expected * voxel_volume
            and abs(echem["profile_z_volume_um3"] - expected * voxel_volume) < 1e-6 * expected
            and abs(echem["profile_x_volume_um3"] - expected * voxel_volume) < 1e-6 * expected
        )
        first_slab = sum(per_page[:20]) / (20 * args.side * args.side)  # 10 um = 20 pages
        ok = ok and abs(echem["profile_z_first"] - first_slab) < 1e-12
        gb = size / 1e9
        print(
            f"echem phase_volume: {echem['phase_s']:.2f} s ({gb / echem['phase_s']:.2f} GB/s);"
            f" depth_profile z: {echem['depth_z_s']:.2f} s, x: {echem['depth_x_s']:.2f} s;"
            f" counts {'exact' if ok else 'WRONG'}"
        )
        print(
            f"echem peak RSS: {echem['peak_rss_mb']:.0f} MB (after imports:"
            f" {echem['import_rss_mb']:.0f} MB); limit {LIMIT_MB:.0f} MB:"
            f" {'PASS' if echem['peak_rss_mb'] < LIMIT_MB else 'FAIL'}"
        )
        if not args.no_reference:
            reference = run(REFERENCE_SCRIPT, path)
            print(
                f"reference tifffile.imread + numpy: {reference['phase_s']:.2f} s, peak RSS"
                f" {reference['peak_rss_mb']:.0f} MB, count"
                f" {'exact' if reference['count'] == expected else 'WRONG'}"
            )
            print(
                f"ratios echem/reference: time {echem['phase_s'] / reference['phase_s']:.2f},"
                f" peak memory {echem['peak_rss_mb'] / reference['peak_rss_mb']:.3f}"
            )
        return 0 if ok and echem["peak_rss_mb"] < LIMIT_MB else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
