"""Canonical column names and units, and the helper that builds a tidy frame.

Every reader returns a :class:`pandas.DataFrame` whose first columns are the
canonical ones the file provides (in the order of :data:`CANONICAL`), followed by
every original column under its original name. ``df.attrs`` carries ``format``,
``technique``, ``source``, ``start_time`` and ``metadata`` (see ``../shared/GUIDE.md`` §1).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.arrays import ArrowStringArray, NumpyExtensionArray

try:  # public since pandas 3.0
    from pandas.api.internals import create_dataframe_from_blocks
except ImportError:  # pragma: no cover - older pandas: block inputs take the general path
    create_dataframe_from_blocks = None

try:  # whether pandas infers its ``str`` dtype for labels (pandas >= 3 default)
    from pandas._config import using_string_dtype
except ImportError:  # pragma: no cover - other pandas layouts take pandas.Index(names)
    using_string_dtype = None

__all__ = [
    "CANONICAL",
    "CANONICAL_COLUMNS",
    "TECHNIQUES",
    "Alias",
    "ColumnBlocks",
    "build_frame",
]

#: Canonical column name -> unit, in output order.
CANONICAL: dict[str, str] = {
    "time_s": "s",
    "voltage_V": "V",
    "current_A": "A",
    "charge_C": "C",
    "energy_J": "J",
    "temperature_degC": "degC",
    "cycle": "",
    "step": "",
    "freq_Hz": "Hz",
    "z_real_ohm": "Ohm",
    "z_imag_ohm": "Ohm",
}
CANONICAL_COLUMNS: tuple[str, ...] = tuple(CANONICAL)

#: The values ``df.attrs["technique"]`` may take.
TECHNIQUES: tuple[str, ...] = (
    "eis",
    "galvanostatic",
    "potentiostatic",
    "ocv",
    "cyclic_voltammetry",
    "linear_sweep",
    "mixed",
    "unknown",
)

#: One way to obtain a canonical column: (original column name, factor to multiply by).
Alias = tuple[str, float]


@dataclass(frozen=True)
class ColumnBlocks:
    """Original columns held as 2-D blocks, for :func:`build_frame` (binary readers).

    Attributes
    ----------
    blocks
        ``(names, array)`` pairs in column order: ``array`` has shape
        ``(len(names), n_rows)``, row ``i`` being the column ``names[i]``; bool,
        integer or float values in native byte order. Arrays are used as they are
        (strided views of a record buffer included) and become one pandas block each.
        With ``objects``, a block of dtype object holds one column (shape
        ``(1, n_rows)``: text, or anything else), typed as :class:`pandas.DataFrame`
        types such a column of a dict (``str`` when every value is text).
    n_rows
        Number of rows of every block.
    whole
        Columns the reader knows to hold whole numbers of magnitude below 2**53 (e.g.
        integers stored as float64): ``cycle`` or ``step`` made from one of them is
        int64 without the check of :func:`build_frame` (the result is the same).
    objects
        Whether one-column blocks of dtype object are allowed (see ``blocks``).
    """

    blocks: tuple[tuple[tuple[str, ...], np.ndarray], ...]
    n_rows: int
    whole: frozenset[str] = frozenset()
    objects: bool = False

    def names(self) -> list[str]:
        """Every column name, in order."""
        return [name for names, _ in self.blocks for name in names]


def build_frame(
    raw: pd.DataFrame | Mapping[str, Any] | ColumnBlocks,
    aliases: Mapping[str, Sequence[Alias]],
    *,
    format: str,
    technique: str,
    source: str,
    start_time: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Assemble the tidy frame from the original columns of a file.

    Parameters
    ----------
    raw
        The file's table, columns under their original names (already numeric where
        the file's values are numbers): a DataFrame, a mapping of name to 1-D
        array of equal lengths, or :class:`ColumnBlocks` (the fast paths for binary
        readers: arrays are used without copying).
    aliases
        For each canonical column, the original columns it may come from, in order of
        preference, each with the factor that converts it to the canonical unit
        (e.g. ``{"current_A": [("I/mA", 1e-3)], "z_imag_ohm": [("-Im(Z)/Ohm", -1.0)]}``).
        The first alias present in ``raw`` wins; canonical columns with no alias
        present are left out (never filled with NaN).
    format, technique, source, start_time, metadata
        Stored in ``df.attrs``.

    Returns
    -------
    pandas.DataFrame
        Canonical columns first (float64; ``cycle`` and ``step`` int64 when whole
        numbers), then every original column (a column already named canonically is
        not repeated).

    Raises
    ------
    ValueError
        Columns of unequal lengths; :class:`ColumnBlocks` with repeated names or a
        block of the wrong shape or dtype.

    Notes
    -----
    :class:`ColumnBlocks`, and a mapping of 1-D numeric numpy arrays (each its own
    block), are assembled from blocks
    (:func:`pandas.api.internals.create_dataframe_from_blocks`): the canonical
    columns are computed into one new float64 (and one int64) 2-D block, the original
    arrays are used as they are (no copy, no consolidation). The values, dtypes and
    column labels are those of the general path (``pandas.DataFrame`` of a dict),
    which is used for any other input.
    """
    if isinstance(raw, pd.DataFrame):
        frame = _frame_from_mapping(dict(raw.items()), aliases, len(raw))
    elif isinstance(raw, ColumnBlocks):
        _check_blocks(raw)
        if create_dataframe_from_blocks is None:
            rows = {
                name: array[row] for names, array in raw.blocks for row, name in enumerate(names)
            }
            frame = _frame_from_mapping(rows, aliases, raw.n_rows)
        else:
            frame = _frame_from_blocks(raw, aliases)
    else:
        originals = dict(raw)
        n_rows = _common_length(originals)
        plain = all(_is_plain_numeric(values) for values in originals.values())
        if plain and create_dataframe_from_blocks is not None:
            blocks = tuple(((name,), v.reshape(1, n_rows)) for name, v in originals.items())
            frame = _frame_from_blocks(ColumnBlocks(blocks, n_rows), aliases)
        else:
            frame = _frame_from_mapping(originals, aliases, n_rows)
    frame.attrs.update(
        format=format,
        technique=technique,
        source=source,
        start_time=start_time,
        metadata=dict(metadata or {}),
    )
    return frame


#: Canonical columns that hold indices (int64 when their values are whole numbers).
_INDEX_COLUMNS = frozenset({"cycle", "step"})
#: numpy kinds the block path takes as they are (bool, signed, unsigned, float).
_PLAIN_KINDS = frozenset("biuf")


def _canonical_picks(
    originals: Collection[str], aliases: Mapping[str, Sequence[Alias]]
) -> list[tuple[str, str, float]]:
    """(canonical name, original column, factor) of each canonical column present."""
    picks = []
    for name in CANONICAL_COLUMNS:
        for original, factor in aliases.get(name, ()):
            if original in originals:
                picks.append((name, original, factor))
                break
    return picks


def _frame_from_mapping(
    originals: Mapping[str, Any], aliases: Mapping[str, Sequence[Alias]], n_rows: int
) -> pd.DataFrame:
    """General path: any column type, through ``pandas.DataFrame`` of a dict."""
    columns: dict[str, Any] = {}
    for name, original, factor in _canonical_picks(originals, aliases):
        values = _as_float(originals[original])  # may be the original itself, or read-only
        if factor != 1.0:
            values = values * factor  # a new array
        elif name in _INDEX_COLUMNS and (indices := _as_index(values)) is not values:
            values = indices  # a new int64 array
        else:  # a new array, as in the block path: a write to one column never shows in another
            values = values.copy()
        columns[name] = values
    for original, values in originals.items():
        if original not in columns:
            columns[original] = values
    return pd.DataFrame(columns, index=pd.RangeIndex(n_rows), copy=False)


def _is_plain_numeric(values: Any) -> bool:
    """A 1-D numpy array of native-order bool, integer or float (not float16) values."""
    return type(values) is np.ndarray and values.ndim == 1 and _is_plain_dtype(values.dtype)


def _is_plain_dtype(dtype: np.dtype) -> bool:
    return dtype.kind in _PLAIN_KINDS and dtype.isnative and dtype.char != "e"  # e: float16


def _check_blocks(raw: ColumnBlocks) -> None:
    names = raw.names()
    if len(set(names)) != len(names):
        raise ValueError(f"repeated column names in {names}")
    for block_names, array in raw.blocks:
        if not isinstance(array, np.ndarray) or array.shape != (len(block_names), raw.n_rows):
            raise ValueError(
                f"block {block_names} must be an array of shape "
                f"{(len(block_names), raw.n_rows)}, not {getattr(array, 'shape', None)}"
            )
        if raw.objects and array.dtype == object and len(block_names) != 1:
            raise ValueError(f"block {block_names} has dtype object: one column per such block")
        if not (_is_plain_dtype(array.dtype) or (raw.objects and array.dtype == object)):
            raise ValueError(
                f"block {block_names} has dtype {array.dtype}, not bool/int/float/object"
            )


def _frame_from_blocks(raw: ColumnBlocks, aliases: Mapping[str, Sequence[Alias]]) -> pd.DataFrame:
    """Block path (see :func:`build_frame` Notes): same frame as the general path."""
    n_rows = raw.n_rows
    rows = {name: (array, row) for names, array in raw.blocks for row, name in enumerate(names)}
    picks = _canonical_picks(rows, aliases)
    # index columns first: whether they are int64 decides the float block's size
    whole: dict[str, np.ndarray] = {}
    for name, original, factor in picks:
        if name in _INDEX_COLUMNS and factor == 1.0:
            array, row = rows[original]
            values = _as_float(array[row]) if array.dtype == object else array[row]
            if (values.dtype.kind in "iu" and values.dtype.itemsize <= 4) or original in raw.whole:
                whole[name] = values  # exact in int64 (and in float64)
            else:  # the checks run ~1.5x faster on a contiguous copy than on a view
                indices = _as_index(np.ascontiguousarray(values, dtype=np.float64))
                if indices.dtype == np.int64:
                    whole[name] = indices
    names = [name for name, _, _ in picks]
    real = [(position, pick) for position, pick in enumerate(picks) if pick[0] not in whole]
    blocks: list[tuple[np.ndarray, np.ndarray]] = []
    if real:
        block = np.empty((len(real), n_rows), dtype=np.float64)
        for target, (_, (_, original, factor)) in zip(block, real, strict=True):
            array, row = rows[original]
            source = _as_float(array[row]) if array.dtype == object else array[row]
            if factor != 1.0:  # in float64 whatever the source's width, as the general path
                np.multiply(source, factor, out=target, dtype=np.float64)
            else:
                target[...] = source
        blocks.append((block, np.array([position for position, _ in real], dtype=np.intp)))
    if whole:
        block = np.empty((len(whole), n_rows), dtype=np.int64)
        positions = []
        for target, (position, name) in zip(block, _positions_of(names, whole), strict=True):
            target[...] = whole[name]
            positions.append(position)
        blocks.append((block, np.array(positions, dtype=np.intp)))
    taken = set(names)
    originals: list[tuple[np.ndarray, int, int]] = []  # block, first position, columns
    for block_names, array in raw.blocks:
        if taken.isdisjoint(block_names):
            originals.append((array, len(names), len(block_names)))
            names.extend(block_names)
            continue
        for row, name in enumerate(block_names):  # keep the rows not named canonically
            if name not in taken:
                originals.append((array[row : row + 1], len(names), 1))
                names.append(name)
    positions = np.arange(len(names), dtype=np.intp)
    blocks.extend(
        (_object_block(array) if array.dtype == object else array, positions[at : at + count])
        for array, at, count in originals
    )
    if not names:  # as the general path: no column labels to infer a dtype from
        return pd.DataFrame({}, index=pd.RangeIndex(n_rows))
    return create_dataframe_from_blocks(blocks, pd.RangeIndex(n_rows), _column_index(names))


def _object_block(array: np.ndarray) -> Any:
    """A ``(1, n)`` object block as pandas makes the column of a dict of arrays (the
    same conversion: a ``str`` extension array when every value is text)."""
    column = pd.Series(array[0], copy=False).array
    if isinstance(column, NumpyExtensionArray):
        return column.to_numpy().reshape(1, -1)
    return column


def _positions_of(names: Sequence[str], wanted: Collection[str]) -> list[tuple[int, str]]:
    return [(position, name) for position, name in enumerate(names) if name in wanted]


def _column_index(names: list[str]) -> pd.Index:
    """``pandas.Index(names)``, built faster when the default string dtype is pyarrow's
    (the same labels and dtype either way)."""
    if using_string_dtype is not None and using_string_dtype():
        dtype = pd.StringDtype(na_value=np.nan)  # what pandas infers for text labels
        if dtype.storage == "pyarrow":
            import pyarrow

            labels = pyarrow.array(names, type=pyarrow.large_string())
            return pd.Index(ArrowStringArray(labels, dtype=dtype), copy=False)
    return pd.Index(names)


def _common_length(columns: Mapping[str, Any]) -> int:
    """The length shared by every column of a mapping (0 when there is none)."""
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of unequal lengths: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def _as_float(values: Any) -> np.ndarray:
    """float64 array of a column; text that is not a number becomes NaN."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=np.float64)


def _as_index(array: np.ndarray) -> np.ndarray:
    """Integer cycle/step indices where the values are exactly representable whole
    numbers (|x| < 2**53), else the floats unchanged."""
    if array.size == 0:
        return array.astype(np.int64)
    low, high = array.min(), array.max()
    if not (-(2.0**53) < low and high < 2.0**53):  # also False for NaN
        return array
    indices = array.astype(np.int64)
    if (indices == array).all():
        return indices
    return array
