"""CT volumes: time-volume tables, label stacks, depth profiles, and the charge comparison.

* :func:`read_volumes`: a CSV of CT volumes against time, units in the column names
  (``time_h``, ``li_volume_um3``...), with the time reference (scan start, middle or end)
  and scan duration from the arguments or ``# key: value`` header lines.
* :func:`read_stack` / :class:`LabelStack` (see :mod:`echem.ct_stack`): label TIFF stacks
  read page by page, voxel size from ImageJ/OME metadata or given.
* :func:`phase_volume`, :func:`depth_profile`: volume = voxel count x voxel volume
  (GUIDE §5), counted block by block so a stack larger than memory works.
* :func:`compare_ct`: at each CT time, the Faradaic Li volume of the charge passed on
  the same area basis as CT, the CT volume, their ratio, the missing volume and the
  decomposition bookkeeping of the shortfall (:mod:`echem.decomposition`).
"""

from __future__ import annotations

import csv
import io
import os
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from echem._checks import checked_number
from echem.coulometry import charge_at, detect_short_circuit, li_volume
from echem.ct_stack import DEFAULT_BLOCK_BYTES, LabelStack, as_voxel_size, read_stack
from echem.decomposition import LI3PS4_REDUCTION, Reaction, decomposition
from echem.errors import DataError, EchemWarning, ParseError
from echem.io._files import require_regular_file

__all__ = [
    "read_volumes",
    "read_stack",
    "LabelStack",
    "phase_volume",
    "depth_profile",
    "compare_ct",
    "TIME_REFERENCES",
]

#: Time unit suffix -> seconds.
_SECONDS_PER_UNIT = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
#: Volume unit suffix -> cm^3.
_CM3_PER_UNIT = {
    "cm3": 1.0,
    "mm3": 1e-3,
    "um3": 1e-12,
    "µm3": 1e-12,  # micro sign
    "μm3": 1e-12,  # Greek mu
    "nm3": 1e-21,
    "m3": 1e6,
    "ml": 1.0,
    "ul": 1e-3,
}
#: Where in a scan its time stamp sits, as a fraction of the scan duration.
TIME_REFERENCES = {"start": 0.0, "middle": 0.5, "end": 1.0}

_TIME_UNITS = "|".join(map(re.escape, _SECONDS_PER_UNIT))
_TIME_COLUMN = re.compile(rf"^time_({_TIME_UNITS})$", re.IGNORECASE)
_VOLUME_COLUMN = re.compile(
    rf"^(?:.*_)?volume_({'|'.join(map(re.escape, _CM3_PER_UNIT))})$", re.IGNORECASE
)
_DURATION_COLUMN = re.compile(rf"^scan_duration_({_TIME_UNITS})$", re.IGNORECASE)
_META_LINE = re.compile(r"^#\s*([A-Za-z_][\w ]*?)\s*[:=]\s*(.*?)\s*$")


# --- time-volume tables -------------------------------------------------------------------
def read_volumes(
    path: str | os.PathLike[str],
    *,
    time_reference: str | None = None,
    scan_duration_s: float | None = None,
    align_to: str | None = None,
    volume_column: str | None = None,
) -> pd.DataFrame:
    """Read a CT time-volume table.

    The file is a CSV (comma, semicolon or tab) whose header names carry the units:
    one time column ``time_s``/``time_min``/``time_h``/``time_d``, one volume column
    ``volume_<unit>`` or ``<name>_volume_<unit>`` (``cm3``, ``mm3``, ``um3``, ``nm3``...),
    optionally ``scan_duration_<time unit>`` per row; other columns are kept. Lines
    before the header of the form ``# key: value`` are metadata (``time_reference``,
    ``scan_duration_s``/``_min``/``_h``, ``imaged_area_cm2``, ``voxel_size_um``...).

    Parameters
    ----------
    path
        The CSV file.
    time_reference
        ``"start"``, ``"middle"`` or ``"end"``: which moment of each scan the times
        stand for. Overrides the file's ``# time_reference``; one of the two is required.
    scan_duration_s
        Duration of each scan, s (overrides the file); needed to give scan start/end.
    align_to
        Re-express ``time_s`` at this moment of the scan (needs the duration when it
        differs from ``time_reference``); None keeps the file's reference.
    volume_column
        The volume column when the file has several.

    Returns
    -------
    pandas.DataFrame
        ``time_s`` (s), ``volume_cm3``, then ``scan_start_s`` and ``scan_end_s`` when the
        duration is known, then the original columns. ``attrs``: ``source``, ``format``
        (``"ct_volumes"``), ``time_reference`` (what ``time_s`` stands for) and
        ``metadata`` (the header lines, numbers converted).
    """
    path = Path(path)
    require_regular_file(path)  # a FIFO would wait for a writer forever
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ParseError(
            f"not UTF-8 text at byte {error.start}", path, offset=error.start
        ) from None
    except OSError as error:
        raise ParseError(f"cannot read: {error.strerror or error}", path) from error
    metadata, header_line, rows = _split_table(text, path)
    raw = _parse_rows(rows, header_line, path)
    time_name = _one_column(raw.columns, _TIME_COLUMN, "time", path, header_line)
    volume_name = volume_column or _one_column(
        raw.columns, _VOLUME_COLUMN, "volume", path, header_line
    )
    if volume_name not in raw.columns:
        raise ParseError(f"no column {volume_name!r} (have {list(raw.columns)})", path)
    volume_match = _VOLUME_COLUMN.match(volume_name)
    if volume_match is None:
        raise ParseError(f"column {volume_name!r} does not end in a volume unit", path)
    time_s = (
        raw[time_name].to_numpy(dtype=float)
        * _SECONDS_PER_UNIT[
            _TIME_COLUMN.match(time_name).group(1).lower()  # type: ignore[union-attr]
        ]
    )
    volume_cm3 = (
        raw[volume_name].to_numpy(dtype=float) * _CM3_PER_UNIT[volume_match.group(1).lower()]
    )
    if np.any(volume_cm3 < 0):
        row = int(np.flatnonzero(volume_cm3 < 0)[0])
        raise ParseError(
            f"negative volume in column {volume_name!r}", path, line=int(raw.attrs["lines"][row])
        )
    _warn_duplicate_times(time_s, raw.attrs["lines"], path)

    if time_reference is not None:
        reference_name = str(time_reference).lower()
    else:
        declared = str(metadata.get("time_reference", "")).split()
        reference_name = declared[0].lower() if declared else ""
    if reference_name not in TIME_REFERENCES:
        raise DataError(
            f"{path}: say whether the times are scan start, middle or end: pass"
            " time_reference='start'|'middle'|'end' or add a '# time_reference: start' line"
            + (f" (got {reference_name!r})" if reference_name else "")
        )
    duration = _scan_duration(raw, metadata, scan_duration_s, path)

    columns: dict[str, Any] = {"time_s": time_s, "volume_cm3": volume_cm3}
    target = reference_name if align_to is None else str(align_to).lower()
    if target not in TIME_REFERENCES:
        raise DataError(f"align_to must be one of {sorted(TIME_REFERENCES)}, got {align_to!r}")
    if duration is not None:
        start = time_s - TIME_REFERENCES[reference_name] * duration
        columns["time_s"] = start + TIME_REFERENCES[target] * duration
        columns["scan_start_s"] = start
        columns["scan_end_s"] = start + duration
    elif target != reference_name:
        raise DataError(
            f"{path}: moving the times from scan {reference_name} to scan {target} needs the"
            " scan duration (scan_duration_s= or a '# scan_duration_s: ...' line)"
        )
    frame = pd.DataFrame(columns)
    for name in raw.columns:
        if name not in frame.columns:
            frame[name] = raw[name].to_numpy()
    frame.attrs.update(
        format="ct_volumes",
        source=path.name,
        time_reference=target,
        metadata=metadata,
    )
    return frame


def _split_table(text: str, path: Path) -> tuple[dict[str, Any], int, list[tuple[int, str]]]:
    """Metadata from the leading ``#`` lines, the header's line number, and the data lines."""
    metadata: dict[str, Any] = {}
    lines = text.splitlines()
    header_index = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            match = _META_LINE.match(stripped)
            if match:
                key = match.group(1).strip().replace(" ", "_").lower()
                metadata[key] = _number_or_text(match.group(2))
            continue
        header_index = index
        break
    if header_index is None:
        raise ParseError("no header line (expected e.g. 'time_h,volume_um3')", path)
    rows = [
        (number + 1, line)
        for number, line in enumerate(lines)
        if number > header_index and line.strip() and not line.lstrip().startswith("#")
    ]
    if not rows:
        raise ParseError("no data rows after the header", path, line=header_index + 1)
    return metadata, header_index + 1, [(header_index + 1, lines[header_index]), *rows]


def _number_or_text(value: str) -> Any:
    """A float when the value (before any parenthesised comment) is one number, else the text."""
    head = value.split("(")[0].strip()
    try:
        return float(head)
    except ValueError:
        return value


def _parse_rows(rows: list[tuple[int, str]], header_line: int, path: Path) -> pd.DataFrame:
    header = rows[0][1]
    delimiter = max((",", ";", "\t"), key=header.count)
    names = [n.strip() for n in next(csv.reader(io.StringIO(header), delimiter=delimiter))]
    data: dict[str, list[Any]] = {n: [] for n in names}
    for line_number, line in rows[1:]:
        fields = [f.strip() for f in next(csv.reader(io.StringIO(line), delimiter=delimiter))]
        if len(fields) != len(names):
            raise ParseError(
                f"{len(fields)} fields, the header has {len(names)}", path, line=line_number
            )
        for name, value in zip(names, fields, strict=True):
            data[name].append((value, line_number))
    columns: dict[str, Any] = {}
    for name, values in data.items():
        required = any(p.match(name) for p in (_TIME_COLUMN, _VOLUME_COLUMN, _DURATION_COLUMN))
        numbers: list[float] | None = []
        for value, line_number in values:
            try:
                number = float(value)
            except ValueError:
                if required:
                    raise ParseError(
                        f"{name} value {value!r} is not a number", path, line=line_number
                    ) from None
                numbers = None
                break
            if required and not np.isfinite(number):
                raise ParseError(
                    f"{name} value {value!r} is not a finite number", path, line=line_number
                )
            if required and number < 0 and _DURATION_COLUMN.match(name):
                raise ParseError(f"{name} value {value!r} is negative", path, line=line_number)
            numbers.append(number)
        columns[name] = numbers if numbers is not None else [v for v, _ in values]
    frame = pd.DataFrame(columns)
    frame.attrs["lines"] = [line_number for line_number, _ in rows[1:]]
    return frame


def _warn_duplicate_times(time_s: np.ndarray, lines: list[int], path: Path) -> None:
    """Warn when two rows give the same time (two scans cannot start together)."""
    _, first, counts = np.unique(time_s, return_index=True, return_counts=True)
    repeated = [lines[i] for i, n in zip(first, counts, strict=True) if n > 1]
    if repeated:
        warnings.warn(
            f"{path}: {int(np.sum(counts[counts > 1]))} rows share a time with another row"
            f" (first at lines {repeated[:5]}); each row is kept as it is",
            EchemWarning,
            stacklevel=3,
        )


def _one_column(
    columns: Iterable[str], pattern: re.Pattern[str], what: str, path: Path, line: int
) -> str:
    found = [c for c in columns if pattern.match(c)]
    if len(found) != 1:
        units = {"time": "time_s, time_min, time_h", "volume": "volume_um3, li_volume_cm3..."}
        problem = "no" if not found else f"{len(found)} ({', '.join(found)}):"
        raise ParseError(
            f"{problem} {what} column with a unit in its name (e.g. {units[what]})"
            + (" -- choose one with volume_column=" if found else ""),
            path,
            line=line,
        )
    return found[0]


def _scan_duration(
    raw: pd.DataFrame, metadata: dict[str, Any], given: float | None, path: Path
) -> np.ndarray | None:
    if given is not None:
        return np.full(len(raw), _non_negative(given, "scan_duration_s"))
    for name in raw.columns:
        match = _DURATION_COLUMN.match(name)
        if match:
            return raw[name].to_numpy(dtype=float) * _SECONDS_PER_UNIT[match.group(1).lower()]
    for key, value in metadata.items():
        match = _DURATION_COLUMN.match(key)
        if match:
            if not (isinstance(value, float) and np.isfinite(value) and value >= 0):
                raise ParseError(f"header line '# {key}: {value}' must be >= 0 and finite", path)
            return np.full(len(raw), value * _SECONDS_PER_UNIT[match.group(1).lower()])
    return None


def _non_negative(value: Any, name: str) -> float:
    """``value`` as a float that is finite and >= 0, else a :class:`DataError`."""
    return checked_number(value, name, accept=lambda x: x >= 0, must_be="finite and >= 0")


def _positive(value: Any, name: str) -> float:
    """``value`` as a float that is finite and > 0, else a :class:`DataError`."""
    return checked_number(value, name, accept=lambda x: x > 0, must_be="finite and > 0")


# --- label stacks -------------------------------------------------------------------------
def _as_stack(stack: Any, voxel_size_um: Any) -> tuple[LabelStack, tuple[float, float, float]]:
    if isinstance(stack, LabelStack):
        resolved = stack
    elif isinstance(stack, str | os.PathLike):
        resolved = read_stack(stack)
    else:
        resolved = LabelStack.from_array(stack)
    if voxel_size_um is not None:
        return resolved, as_voxel_size(voxel_size_um)
    if resolved.voxel_size_um is None:
        where = f" in {resolved.path}" if resolved.path else ""
        raise DataError(f"no voxel size{where}: pass voxel_size_um (a number or (z, y, x))")
    return resolved, resolved.voxel_size_um


def _matcher(label: Any, dtype: np.dtype) -> Any:
    """A function block -> boolean mask of the voxels carrying ``label`` (one or several).

    A label the stack's dtype cannot hold (259 or 2.5 in a uint8 stack, NaN, text) would
    match nothing and give a silent zero volume: it is a :class:`DataError` instead.
    """
    labels = np.atleast_1d(np.asarray(label, dtype=object)).ravel()
    if labels.size == 0:
        raise DataError("no label value given")
    values = []
    for value in labels:
        if isinstance(value, str | bytes):
            raise DataError(f"a label is a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise DataError(f"a label is a number, got {value!r}") from None
        values.append(_label_in_dtype(number, value, dtype))
    labels = np.array(values, dtype=dtype)
    if labels.size == 1:
        single = labels[0]
        return lambda block: block == single
    return lambda block: np.isin(block, labels)


def _label_in_dtype(number: float, value: Any, dtype: np.dtype) -> Any:
    """``value`` converted to ``dtype``, or a :class:`DataError` if no voxel can hold it."""
    problem = None
    if not np.isfinite(number):
        problem = "is not a finite number"
    elif dtype.kind == "b":
        if number not in (0.0, 1.0):
            problem = "cannot occur in a boolean (0/1) stack"
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        if number != int(number) or not info.min <= int(number) <= info.max:
            problem = f"cannot occur in a {dtype.name} stack ({info.min}..{info.max}, integers)"
        else:
            return int(number)
    elif dtype.kind != "f":
        problem = f"cannot be matched in a {dtype.name} stack"
    if problem:
        raise DataError(f"label {value!r} {problem}")
    return bool(number) if dtype.kind == "b" else number


def phase_volume(
    stack: Any,
    label: Any,
    voxel_size_um: Any = None,
    *,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> float:
    """Volume of the voxels carrying ``label``, µm^3 (count x voxel volume, GUIDE §5).

    Parameters
    ----------
    stack
        A :class:`LabelStack`, a TIFF path, or an array (z, y, x).
    label
        The phase's label value, or several values (their union).
    voxel_size_um
        (z, y, x) µm in the stack's axis order, or one number; defaults to the stack's.
    block_bytes
        Size of the blocks of pages read at a time (bounds the memory used).

    Returns
    -------
    float
        µm^3 (1 cm^3 = 1e12 µm^3).
    """
    resolved, size = _as_stack(stack, voxel_size_um)
    match = _matcher(label, resolved.dtype)
    count = 0
    for _, block in resolved.blocks(block_bytes):
        count += int(np.count_nonzero(match(block)))
    return count * size[0] * size[1] * size[2]


def depth_profile(
    stack: Any,
    label: Any,
    voxel_size_um: Any = None,
    axis: int | str = 0,
    bin_um: float | None = None,
    origin: float = 0.0,
    *,
    reverse: bool = False,
    ignore: Any = None,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> pd.DataFrame:
    """Volume fraction of a phase in slabs at increasing distance from a plane.

    The distance is measured along ``axis`` from the plane at ``origin`` µm (from the
    outer face of the first voxel along that axis), increasing with the index, or
    decreasing with ``reverse=True`` (an interface at the far side). Voxels are uniform:
    a voxel straddling two slabs contributes to each in proportion to its overlap, so the
    profile is exact when ``bin_um`` and ``origin`` are multiples of the voxel size.

    Parameters
    ----------
    stack, label, voxel_size_um
        As for :func:`phase_volume`.
    axis
        0/1/2 or ``"z"``/``"y"``/``"x"``.
    bin_um
        Slab thickness, µm (one voxel when None).
    origin
        Position of the interface plane along ``axis``, µm.
    reverse
        Measure the distance against the axis direction.
    ignore
        Label value(s) left out of the slab volume (e.g. the outside of the sample).

    Returns
    -------
    pandas.DataFrame
        ``depth_um`` (start of the slab), ``fraction`` (phase volume / slab volume),
        ``phase_volume_um3`` and ``slab_volume_um3``; slabs holding no voxel are omitted.
    """
    resolved, size = _as_stack(stack, voxel_size_um)
    axis_index = _axis_index(axis)
    match = _matcher(label, resolved.dtype)
    ignored = None if ignore is None else _matcher(ignore, resolved.dtype)
    if not np.isfinite(float(origin)):
        raise DataError(f"origin must be a finite position, um, got {origin!r}")
    length = resolved.shape[axis_index]
    phase_counts = np.zeros(length, dtype=np.int64)
    total_counts = np.zeros(length, dtype=np.int64)
    other_axes = tuple(a for a in (0, 1, 2) if a != axis_index)
    per_slice = int(np.prod([resolved.shape[a] for a in other_axes]))
    for start, block in resolved.blocks(block_bytes):
        sum_axes = tuple(a for a in (0, 1, 2) if a != axis_index)
        hits = np.count_nonzero(match(block), axis=sum_axes)
        stop = start + block.shape[0]
        if axis_index == 0:
            phase_counts[start:stop] += hits
            total_counts[start:stop] += per_slice
            if ignored is not None:
                total_counts[start:stop] -= np.count_nonzero(ignored(block), axis=sum_axes)
        else:
            phase_counts += hits
            total_counts += block.shape[0] * block.shape[3 - axis_index]
            if ignored is not None:
                total_counts -= np.count_nonzero(ignored(block), axis=sum_axes)
    step = size[axis_index]
    voxel_volume = size[0] * size[1] * size[2]
    bin_width = step if bin_um is None else float(bin_um)
    if not (np.isfinite(bin_width) and bin_width > 0):
        raise DataError(f"bin_um must be positive, got {bin_um!r}")
    # Position of voxel faces along the axis, then as distance from the plane.
    faces = np.arange(length + 1) * step
    distance = (origin - faces) if reverse else (faces - origin)
    cumulative_phase = np.concatenate([[0], np.cumsum(phase_counts)]).astype(float)
    cumulative_total = np.concatenate([[0], np.cumsum(total_counts)]).astype(float)
    if reverse:  # make the distance increase along the arrays
        distance = distance[::-1]
        cumulative_phase = cumulative_phase[-1] - cumulative_phase[::-1]
        cumulative_total = cumulative_total[-1] - cumulative_total[::-1]
    first = np.floor(distance[0] / bin_width + 1e-9)
    last = np.ceil(distance[-1] / bin_width - 1e-9)
    edges = np.arange(first, last + 1) * bin_width
    phase = np.diff(np.interp(edges, distance, cumulative_phase))
    total = np.diff(np.interp(edges, distance, cumulative_total))
    keep = total > 1e-9
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = phase / total
    return pd.DataFrame(
        {
            "depth_um": edges[:-1][keep],
            "fraction": fraction[keep],
            "phase_volume_um3": phase[keep] * voxel_volume,
            "slab_volume_um3": total[keep] * voxel_volume,
        }
    )


def _ct_column(table: pd.DataFrame, column: str, *, negative_ok: bool) -> np.ndarray:
    """A column of the CT table as floats, finite (and >= 0 unless ``negative_ok``)."""
    try:
        values = table[column].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"the CT table's {column} column is not numeric") from None
    bad = ~np.isfinite(values) if negative_ok else ~(np.isfinite(values) & (values >= 0))
    if np.any(bad):
        rows = np.flatnonzero(bad)
        what = "finite" if negative_ok else "finite and >= 0"
        raise DataError(
            f"the CT table's {column} must be {what}: rows {rows[:5].tolist()}"
            f" hold {values[rows[:5]].tolist()}"
        )
    return values


def _warn_outside_record(df: pd.DataFrame, times: np.ndarray, charges: np.ndarray) -> None:
    """Warn about CT times the record does not cover (their charge is NaN, not extrapolated)."""
    outside = np.flatnonzero(np.isnan(charges))
    if outside.size:
        record = pd.to_numeric(df["time_s"], errors="coerce")
        warnings.warn(
            f"{outside.size} CT time(s) outside the record ({record.min():g} to"
            f" {record.max():g} s): {times[outside][:5].tolist()} s; their charge and"
            " theory volume are NaN (not extrapolated)",
            EchemWarning,
            stacklevel=3,
        )


def _warn_ct_above_theory(times: np.ndarray, theory: np.ndarray, measured: np.ndarray) -> None:
    """Warn when CT sees more Li than the charge can have deposited (negative shortfall)."""
    above = np.flatnonzero(measured > theory)
    if above.size:
        warnings.warn(
            f"at {above.size} CT time(s) ({times[above][:5].tolist()} s) the CT volume exceeds"
            " the Faradaic volume of the charge (missing_volume_cm3 < 0): no Li is counted as"
            " lost to side reactions there; check the imaged area, the segmentation and the"
            " time alignment",
            EchemWarning,
            stacklevel=3,
        )


def _axis_index(axis: int | str) -> int:
    names = {"z": 0, "y": 1, "x": 2}
    if isinstance(axis, bool):
        raise DataError(f"axis must be 0, 1, 2 or 'z', 'y', 'x', got {axis!r}")
    if isinstance(axis, str):
        if axis.lower() not in names:
            raise DataError(f"axis must be 0, 1, 2 or 'z', 'y', 'x', got {axis!r}")
        return names[axis.lower()]
    if axis not in (0, 1, 2):
        raise DataError(f"axis must be 0, 1, 2 or 'z', 'y', 'x', got {axis!r}")
    return int(axis)


# --- charge vs CT -------------------------------------------------------------------------
def compare_ct(
    galvanostatic_df: pd.DataFrame,
    ct_volumes: pd.DataFrame | str | os.PathLike[str],
    *,
    area_cm2: float,
    imaged_area_cm2: float | None = None,
    stop_at_short: bool = True,
    time_offset_s: float = 0.0,
    reaction: Reaction = LI3PS4_REDUCTION,
    **decomposition_options: Any,
) -> pd.DataFrame:
    """Faradaic Li volume vs CT Li volume at each CT time, and where the shortfall went.

    Parameters
    ----------
    galvanostatic_df
        Canonical frame of the plating record (``time_s``, ``current_A``; ``voltage_V``
        for the short circuit).
    ct_volumes
        Table of :func:`read_volumes` (``time_s``, ``volume_cm3``) or its CSV path. Its
        ``time_s`` must be on the record's clock (``time_s`` of the frame) after adding
        ``time_offset_s``.
    area_cm2
        Electrode area, cm^2 (the current flows through all of it).
    imaged_area_cm2
        Area CT imaged, cm^2: the Faradaic volume is scaled by imaged/electrode area.
        Defaults to the table's ``imaged_area_cm2`` metadata, else the whole electrode.
    stop_at_short
        Charge after a detected short deposits no Li (GUIDE §4).
    reaction, decomposition_options
        Passed to :func:`echem.decomposition.decomposition` (``densities=``,
        ``molar_masses=``, ``fraction_reacted=``).

    Returns
    -------
    pandas.DataFrame
        Per CT time: ``time_s``, ``time_h``, ``charge_C`` (net charge since the record
        start, whole electrode), ``theory_volume_cm3`` (|charge| M/(F rho) x imaged/area),
        ``ct_volume_cm3``, ``ct_to_theory`` (ratio), ``missing_volume_cm3`` (theory - CT),
        ``theory_thickness_um``, ``ct_thickness_um`` (volume / basis area), and the
        decomposition of the shortfall: ``missing_li_mol``, ``missing_charge_C``,
        ``electrolyte_consumed_mol``, ``electrolyte_consumed_cm3``, ``products_cm3``.
        ``attrs`` hold the basis area, the short-circuit time and the decomposition
        parameters.
    """
    area_cm2 = _positive(area_cm2, "area_cm2")
    time_offset_s = checked_number(time_offset_s, "time_offset_s")
    table = ct_volumes if isinstance(ct_volumes, pd.DataFrame) else read_volumes(ct_volumes)
    for column in ("time_s", "volume_cm3"):
        if column not in table.columns:
            raise DataError(f"the CT table has no {column} column (read it with read_volumes)")
    metadata = table.attrs.get("metadata", {}) or {}
    basis_source = "argument"
    if imaged_area_cm2 is None and "imaged_area_cm2" in metadata:
        imaged_area_cm2, basis_source = metadata["imaged_area_cm2"], "CT table metadata"
    if imaged_area_cm2 is None:
        basis, basis_source = float(area_cm2), "electrode area"
    else:
        basis = _positive(imaged_area_cm2, f"imaged_area_cm2 ({basis_source})")
        if basis > area_cm2:
            warnings.warn(
                f"the imaged area {basis:g} cm2 ({basis_source}) is larger than the electrode"
                f" area {area_cm2:g} cm2; the theory volume is scaled up by {basis / area_cm2:g}",
                EchemWarning,
                stacklevel=2,
            )
    measured = _ct_column(table, "volume_cm3", negative_ok=False)
    times = _ct_column(table, "time_s", negative_ok=True) + time_offset_s
    charges = charge_at(galvanostatic_df, times, stop_at_short=stop_at_short)
    _warn_outside_record(galvanostatic_df, times, charges)
    short = detect_short_circuit(galvanostatic_df) if "voltage_V" in galvanostatic_df else None
    theory = li_volume(charges) * basis / area_cm2
    missing = theory - measured
    _warn_ct_above_theory(times, theory, measured)
    bookkeeping = decomposition(missing, reaction, **decomposition_options)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = measured / theory
    result = pd.DataFrame(
        {
            "time_s": times,
            "time_h": times / 3600.0,
            "charge_C": charges,
            "theory_volume_cm3": theory,
            "ct_volume_cm3": measured,
            "ct_to_theory": ratio,
            "missing_volume_cm3": missing,
            "theory_thickness_um": theory / basis * 1e4,
            "ct_thickness_um": measured / basis * 1e4,
            "missing_li_mol": np.atleast_1d(bookkeeping.li_mol),
            "missing_charge_C": np.atleast_1d(bookkeeping.charge_C),
            "electrolyte_consumed_mol": np.atleast_1d(bookkeeping.electrolyte_consumed_mol),
            "electrolyte_consumed_cm3": np.atleast_1d(bookkeeping.electrolyte_consumed_cm3),
            "products_cm3": np.atleast_1d(bookkeeping.products_cm3),
        }
    )
    result.attrs.update(
        area_cm2=float(area_cm2),
        basis_area_cm2=basis,
        basis=basis_source,
        short_circuit_s=short,
        stop_at_short=stop_at_short,
        time_reference=table.attrs.get("time_reference"),
        reaction=bookkeeping.equation,
        volume_ratio=bookkeeping.volume_ratio,
        decomposition_parameters=bookkeeping.parameters,
    )
    return result
