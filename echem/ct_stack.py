"""Label (or binary) TIFF stacks read page by page, with their voxel size.

A 2000^3 uint8 label stack is 8 GB: :func:`read_stack` never loads it. It reads the
file's layout and metadata, and :class:`LabelStack` hands out pages (or blocks of
pages) on demand: uncompressed contiguous data is read with plain file reads at known
offsets (no memory map, whose resident pages would count against the process), other
layouts page by page through tifffile.

Voxel size, (z, y, x) in µm, in order of preference: the ``voxel_size_um`` argument;
OME-XML ``PhysicalSizeX/Y/Z`` (with their units, µm by default); ImageJ metadata
(``spacing`` for z, XResolution/YResolution in pixels per ``unit``); TIFF resolution
tags with an inch/centimetre ResolutionUnit give x and y only, so z stays unknown.
"""

from __future__ import annotations

import os
import re
import struct
import warnings
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from echem._optional import require
from echem.errors import DataError, EchemWarning, ParseError, TruncatedDataWarning

__all__ = ["LabelStack", "read_stack", "as_voxel_size"]

#: Length units found in ImageJ and OME metadata -> micrometres.
_UM_PER_UNIT: dict[str, float] = {
    "um": 1.0,
    "µm": 1.0,  # micro sign
    "μm": 1.0,  # Greek mu
    "micron": 1.0,
    "microns": 1.0,
    "micrometer": 1.0,
    "micrometre": 1.0,
    "nm": 1e-3,
    "nanometer": 1e-3,
    "mm": 1e3,
    "millimeter": 1e3,
    "cm": 1e4,
    "centimeter": 1e4,
    "m": 1e6,
    "meter": 1e6,
    "Å": 1e-4,
    "angstrom": 1e-4,
    "pm": 1e-6,
}

#: TIFF ResolutionUnit tag value -> micrometres per unit (1 = none).
_UM_PER_RESOLUTION_UNIT = {2: 25400.0, 3: 10000.0}

#: Default size of the blocks of pages :meth:`LabelStack.blocks` reads, bytes.
DEFAULT_BLOCK_BYTES = 64 * 2**20


def _unit_to_um(unit: Any) -> float | None:
    if unit is None:
        return None
    text = str(unit).strip().replace("\\u00B5", "µ").replace("\\u00b5", "µ")
    return _UM_PER_UNIT.get(text, _UM_PER_UNIT.get(text.lower()))


def as_voxel_size(value: Any) -> tuple[float, float, float]:
    """A voxel size as (z, y, x) µm from a number (isotropic) or a 3-sequence."""
    try:
        values = [float(value)] * 3 if np.ndim(value) == 0 else [float(v) for v in value]
    except (TypeError, ValueError):
        values = []
    if len(values) != 3:
        raise DataError(f"voxel size must be a number or (z, y, x), got {value!r}")
    size = (values[0], values[1], values[2])
    if not _usable_size(size):
        raise DataError(f"voxel size must be positive, got {value!r}")
    return size


@dataclass(frozen=True)
class LabelStack:
    """A 3-D label stack, (pages, rows, columns) = (z, y, x), read on demand.

    Attributes
    ----------
    path
        The TIFF file (None for an in-memory array).
    shape
        (z, y, x) in voxels.
    dtype
        Data type of the labels.
    voxel_size_um
        (z, y, x) voxel size, µm; None when unknown (give it to the analysis functions).
    voxel_size_source
        Where the voxel size came from: ``"given"``, ``"ome"``, ``"imagej"`` or None.
    metadata
        What the file says about itself (axes, ImageJ/OME fields read).
    """

    path: Path | None
    shape: tuple[int, int, int]
    dtype: np.dtype
    voxel_size_um: tuple[float, float, float] | None
    voxel_size_source: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    _array: np.ndarray | None = field(default=None, repr=False, compare=False)
    _data_offset: int | None = field(default=None, repr=False, compare=False)
    _series_index: int = field(default=0, repr=False, compare=False)

    @classmethod
    def from_array(cls, array: Any, voxel_size_um: Any = None) -> LabelStack:
        """Wrap an in-memory 2-D or 3-D array (or a numpy memmap) as a stack."""
        data = np.asarray(array)
        if data.ndim == 2:
            data = data[np.newaxis]
        if data.ndim != 3:
            raise DataError(f"a label stack is 3-D (z, y, x), got shape {data.shape}")
        size = None if voxel_size_um is None else as_voxel_size(voxel_size_um)
        return cls(
            path=None,
            shape=(int(data.shape[0]), int(data.shape[1]), int(data.shape[2])),
            dtype=data.dtype,
            voxel_size_um=size,
            voxel_size_source=None if size is None else "given",
            _array=data,
        )

    def __len__(self) -> int:
        return self.shape[0]

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.pages()

    def __getitem__(self, index: int) -> np.ndarray:
        """Page ``index`` (negative counts from the end) as a 2-D (y, x) array."""
        if not isinstance(index, int | np.integer):
            raise TypeError("a LabelStack is indexed by page number; iterate for the rest")
        position = int(index) + (self.shape[0] if index < 0 else 0)
        if not 0 <= position < self.shape[0]:
            raise IndexError(f"page {index} out of range for {self.shape[0]} pages")
        if self._array is not None:
            return np.asarray(self._array[position])
        if self._data_offset is not None:
            return next(self._contiguous_blocks(1, first=position))[1][0]
        return next(self._paged_blocks(1, first=position))[1][0]

    @property
    def page_bytes(self) -> int:
        """Bytes in one page."""
        return self.shape[1] * self.shape[2] * self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes in the whole stack (not held in memory)."""
        return self.shape[0] * self.page_bytes

    def pages(self) -> Iterator[np.ndarray]:
        """The pages in order, each a 2-D (y, x) array."""
        for _, block in self.blocks(max_bytes=self.page_bytes):
            yield from block

    def blocks(self, max_bytes: int = DEFAULT_BLOCK_BYTES) -> Iterator[tuple[int, np.ndarray]]:
        """(first page index, 3-D block) pairs of consecutive pages, each <= ``max_bytes``."""
        per_block = max(1, int(max_bytes) // max(self.page_bytes, 1))
        if self._array is not None:
            for start in range(0, self.shape[0], per_block):
                yield start, np.asarray(self._array[start : start + per_block])
            return
        if self.path is None:  # pragma: no cover - from_array always sets _array
            raise DataError("stack has neither a file nor an array")
        if self._data_offset is not None:
            yield from self._contiguous_blocks(per_block)
        else:
            yield from self._paged_blocks(per_block)

    def _contiguous_blocks(
        self, per_block: int, first: int = 0
    ) -> Iterator[tuple[int, np.ndarray]]:
        assert self.path is not None and self._data_offset is not None
        page_items = self.shape[1] * self.shape[2]
        with open(self.path, "rb") as handle:
            for start in range(first, self.shape[0], per_block):
                count = min(per_block, self.shape[0] - start)
                handle.seek(self._data_offset + start * self.page_bytes)
                data = np.fromfile(handle, dtype=self.dtype, count=count * page_items)
                if data.size != count * page_items:
                    raise ParseError(
                        f"file ends inside page {start + data.size // page_items}",
                        self.path,
                        offset=self._data_offset + start * self.page_bytes + data.nbytes,
                    )
                yield start, data.reshape(count, self.shape[1], self.shape[2])

    def _paged_blocks(self, per_block: int, first: int = 0) -> Iterator[tuple[int, np.ndarray]]:
        tifffile = _tifffile()

        assert self.path is not None
        try:
            with tifffile.TiffFile(self.path) as tif:
                series = tif.series[self._series_index]
                pages = series.pages
                if len(pages) < self.shape[0]:
                    raise ParseError(
                        f"the series lists {len(pages)} pages for {self.shape[0]} slices"
                        " and is not contiguous",
                        self.path,
                    )
                for start in range(first, self.shape[0], per_block):
                    stop = min(start + per_block, self.shape[0])
                    block = np.empty((stop - start, *self.shape[1:]), dtype=self.dtype)
                    for index in range(start, stop):
                        block[index - start] = pages[index].asarray().reshape(self.shape[1:])
                    yield start, block
        except ParseError:
            raise
        except Exception as error:  # noqa: BLE001 - zlib.error, a codec's own error, struct.error
            raise ParseError(f"cannot read the TIFF pages: {error}", self.path) from error


def read_stack(
    path: str | os.PathLike[str],
    *,
    voxel_size_um: Any = None,
    series: int | None = None,
    allow_truncated: bool = False,
) -> LabelStack:
    """Open a multi-page label TIFF without loading it.

    Parameters
    ----------
    path
        The TIFF file (ImageJ, OME or plain multi-page).
    voxel_size_um
        (z, y, x) µm or one number (isotropic); overrides the file's metadata.
    series
        Which image series of the file (OME files can hold several); None: the first,
        with a warning naming the others when there are several (tifffile also splits a
        plain multi-page file into series where page shapes differ, e.g. a damaged
        first page: reading the first series alone would count a part of the pages).
    allow_truncated
        A file cut short (a copy that did not finish) is a :class:`ParseError` by
        default. With True, the stack holds the complete pages only, says so in
        ``metadata["truncated"]`` (pages declared, pages held) and warns
        (:class:`echem.TruncatedDataWarning`).

    Returns
    -------
    LabelStack
        Pages along z; ``voxel_size_um`` from the argument or the metadata (None if
        neither says).

    Raises
    ------
    ParseError
        Not a TIFF, not a single-channel 2-D/3-D image, an image with no pixel, or cut
        short (naming the first missing page).

    Notes
    -----
    A cut file is recognised two ways, so that a stack is never silently shorter than
    the file says: (1) the number of planes the metadata declares (ImageJ ``images``,
    tifffile's shaped ``shape``, OME ``SizeZ·SizeC·SizeT``) exceeds what the series
    holds, and (2) the chain of image file directories (TIFF 6.0, section 2; BigTIFF)
    points past the end of the file. tifffile then falls back to the pages it can
    read, often the first one only.
    """
    tifffile = _tifffile()
    path = Path(path)
    try:
        with tifffile.TiffFile(path) as tif:
            if series is None and len(tif.series) > 1:
                shapes = ", ".join(
                    f"{i}: {' x '.join(map(str, s.shape))}" for i, s in enumerate(tif.series)
                )
                warnings.warn(
                    f"{path}: the file holds {len(tif.series)} image series ({shapes});"
                    " reading series 0 (pass series= to choose)",
                    EchemWarning,
                    stacklevel=2,
                )
            series = 0 if series is None else series
            if not 0 <= series < len(tif.series):
                raise ParseError(f"no image series {series} (the file has {len(tif.series)})", path)
            chosen = tif.series[series]
            shape, axes = _stack_shape(chosen.shape, chosen.axes, path)
            if 0 in shape:
                raise ParseError(f"the image has no pixel: {' x '.join(map(str, shape))}", path)
            dtype = np.dtype(chosen.dtype).newbyteorder(tif.byteorder)
            offset = chosen.dataoffset
            if offset is not None and chosen.keyframe.bitspersample != 8 * dtype.itemsize:
                offset = None  # packed bits (bilevel): let tifffile unpack page by page
            found, source, metadata = _voxel_size_from_metadata(tif, path)
            metadata["axes"] = axes
            shape = _complete_shape(
                tif, chosen, shape, dtype, offset, path, allow_truncated, metadata
            )
            if found is not None and not _usable_size(found):
                metadata["note"] = f"{source} metadata gives an unusable voxel size {found} um"
                if voxel_size_um is None:
                    warnings.warn(
                        f"{path}: the {source} metadata gives the voxel size {found} um"
                        " (z, y, x), which is not positive and finite; it is left unknown"
                        " (pass voxel_size_um)",
                        EchemWarning,
                        stacklevel=2,
                    )
                found, source = None, None
    except (ParseError, Warning):  # a warning turned into an error by the caller's filter
        raise
    except Exception as error:  # noqa: BLE001 - tifffile on damaged directories: struct.error,
        # RuntimeError, TypeError, ZeroDivisionError, AssertionError besides its own errors
        raise ParseError(f"not a readable TIFF stack: {error}", path) from error
    if voxel_size_um is not None:
        found, source = as_voxel_size(voxel_size_um), "given"
    return LabelStack(
        path=path,
        shape=shape,
        dtype=dtype,
        voxel_size_um=found,
        voxel_size_source=source,
        metadata=metadata,
        _data_offset=int(offset) if offset is not None else None,
        _series_index=series,
    )


def _complete_shape(
    tif: Any,
    series: Any,
    shape: tuple[int, int, int],
    dtype: np.dtype,
    offset: int | None,
    path: Path,
    allow_truncated: bool,
    metadata: dict[str, Any],
) -> tuple[int, int, int]:
    """The (z, y, x) shape of the complete pages; a cut file raises or is trimmed."""
    size = os.path.getsize(path)
    declared = _declared_planes(tif)
    chain_pages, chain_cut, directories = _ifd_chain(path, size)
    page_bytes = shape[1] * shape[2] * dtype.itemsize
    planes = declared if declared is not None and declared > shape[0] else shape[0]
    if offset is not None and page_bytes > 0:  # contiguous: the data says how many pages
        # the data end where the file ends or at the first directory after them (ImageJ
        # and tifffile write the other pages' directories after the data: counted as pages,
        # they hid a declared page count larger than the data, or were read as labels)
        end = min([size, *(d for d in directories if d >= offset)])
        whole = max(0, (end - offset) // page_bytes)
        if declared is None and not chain_cut and whole >= shape[0]:
            return shape
        held = min(planes, whole)
    else:  # page by page: a page is whole when its directory and every data segment are
        held = min(shape[0], chain_pages) if chain_cut else shape[0]
        whole = _whole_pages(series, size, held)
        if whole < held:  # a directory whose data (or data offsets) lie past the end
            held, planes = whole, max(planes, held)
    if held >= planes and not chain_cut:
        return shape
    if declared is None and planes > held:
        told = f"it has {planes} pages, {held} of them complete"
    elif planes > held:
        told = f"its metadata declares {planes} pages, it holds {held} complete ones"
    else:
        pages = "page" if held == 1 else "pages"
        told = f"its page directories point past its end after {held} {pages}"
    message = f"the file is cut short: {told}; page {held} (counted from 0) is the first missing"
    if not allow_truncated or held == 0:
        raise ParseError(message, path, offset=size)
    metadata["truncated"] = {"pages_declared": planes if planes > held else None, "pages": held}
    warnings.warn(f"{path}: {message}; reading those {held}", TruncatedDataWarning, stacklevel=3)
    return (held, shape[1], shape[2])


def _whole_pages(series: Any, size: int, limit: int) -> int:
    """How many of the first ``limit`` pages of ``series`` are whole in a file of ``size`` bytes.

    A page is whole when its directory lists as many data offsets as byte counts, one per
    segment (strip or tile) of the page, and every segment ends within the file. A cut
    through a directory's out-of-line values (the offsets array) or through a page's data
    makes tifffile fill the missing segments with zeros, or fail to decompress.
    """
    pages = series.pages
    for index in range(min(limit, len(pages))):
        page = pages[index]
        if page is None:
            return index
        offsets, counts = page.dataoffsets, page.databytecounts
        segments = int(np.prod(page.chunked)) if page.chunked else 1
        if len(offsets) != len(counts) or len(offsets) < segments:
            return index
        if any(o + c > size for o, c in zip(offsets, counts, strict=True)):
            return index
    return min(limit, len(pages))


def _declared_planes(tif: Any) -> int | None:
    """Planes (pages) the file's metadata says it holds, or None when it does not say."""
    counts = []
    if tif.is_imagej and tif.imagej_metadata:
        images = tif.imagej_metadata.get("images")
        if isinstance(images, int) and images > 0:
            counts.append(images)
    for shaped in tif.shaped_metadata or ():
        dims = [int(n) for n in shaped.get("shape", ())] if isinstance(shaped, dict) else []
        if len(dims) > 2:
            samples = dims[-1] if len(dims) > 3 and dims[-1] in (3, 4) else 1
            counts.append(int(np.prod(dims)) // (dims[-1] * dims[-2]) // samples or 1)
    if tif.is_ome and tif.ome_metadata:
        try:
            root = ElementTree.fromstring(tif.ome_metadata)
        except ElementTree.ParseError:
            root = None
        for pixels in () if root is None else root.iter():
            if re.sub(r"^\{.*\}", "", pixels.tag) == "Pixels":
                sizes = [int(pixels.get(f"Size{a}", "1") or 1) for a in ("Z", "C", "T")]
                counts.append(int(np.prod(sizes)))
                break
    return max(counts) if counts else None


def _ifd_chain(path: Path, size: int) -> tuple[int, bool, list[int]]:
    """(directories found, whether the chain points past the end of the file, their offsets).

    Walks the image file directories: classic TIFF (a 2-byte entry count, 12-byte
    entries, a 4-byte next offset) and BigTIFF (8-byte count, 20-byte entries, 8-byte
    next offset). Stops at a loop or after ``size // 12`` directories.
    """
    with open(path, "rb") as handle:
        header = handle.read(16)
        if len(header) < 8 or header[:2] not in (b"II", b"MM"):
            return 0, False, []
        order = "<" if header[:2] == b"II" else ">"
        (magic,) = struct.unpack(order + "H", header[2:4])
        if magic == 43 and len(header) >= 16:
            count_format, entry_bytes, next_format = "Q", 20, "Q"
            (next_offset,) = struct.unpack(order + "Q", header[8:16])
        else:
            count_format, entry_bytes, next_format = "H", 12, "I"
            (next_offset,) = struct.unpack(order + "I", header[4:8])
        count_size = struct.calcsize(count_format)
        next_size = struct.calcsize(next_format)
        directories: list[int] = []
        seen: set[int] = set()
        while next_offset and next_offset not in seen and len(directories) <= size // 12:
            seen.add(next_offset)
            if next_offset + count_size > size:
                return len(directories), True, directories
            handle.seek(next_offset)
            (entries,) = struct.unpack(order + count_format, handle.read(count_size))
            end = next_offset + count_size + entries * entry_bytes
            if end + next_size > size:
                return len(directories), True, directories
            directories.append(next_offset)
            handle.seek(end)
            (next_offset,) = struct.unpack(order + next_format, handle.read(next_size))
        return len(directories), False, directories


def _tifffile() -> Any:
    """tifffile, the optional dependency of TIFF stacks (extra ``echem[ct]``)."""
    return require("tifffile", "ct", "reading TIFF stacks")


def _usable_size(size: tuple[float, float, float]) -> bool:
    return all(np.isfinite(s) and s > 0 for s in size)


def _stack_shape(shape: Sequence[int], axes: str, path: Path) -> tuple[tuple[int, int, int], str]:
    """(z, y, x) of a series: singleton axes dropped, Y and X last, at most one other axis."""
    if "S" in axes and shape[axes.index("S")] > 1:
        raise ParseError(
            f"pages have {shape[axes.index('S')]} samples (RGB?); a label stack has one"
            " value per voxel (write it with photometric='minisblack')",
            path,
        )
    if not axes.endswith("YX"):
        raise ParseError(f"expected the last two axes to be Y and X, got {axes!r}", path)
    leading = [(a, n) for a, n in zip(axes[:-2], shape[:-2], strict=True) if n > 1]
    if len(leading) > 1:
        raise ParseError(
            f"a label stack has one axis besides Y and X, this one has {axes!r} {tuple(shape)}",
            path,
        )
    depth = leading[0][1] if leading else 1
    name = leading[0][0] if leading else "Z"
    return (int(depth), int(shape[-2]), int(shape[-1])), f"{name}YX"


def _voxel_size_from_metadata(
    tif: Any, path: Path
) -> tuple[tuple[float, float, float] | None, str | None, dict[str, Any]]:
    metadata: dict[str, Any] = {}
    if tif.is_ome and tif.ome_metadata:
        size = _ome_voxel_size(tif.ome_metadata, metadata)
        if size is not None:
            return size, "ome", metadata
    page = tif.pages.first if hasattr(tif.pages, "first") else tif.pages[0]
    xy = _resolution_um(page)
    if tif.is_imagej and tif.imagej_metadata is not None:
        info = tif.imagej_metadata
        metadata["imagej"] = {k: info[k] for k in ("unit", "spacing") if k in info}
        unit_um = _unit_to_um(info.get("unit"))
        spacing = info.get("spacing")
        if unit_um is not None and xy is not None and spacing is not None:
            y, x = xy
            try:
                z = float(spacing) * unit_um
            except (TypeError, ValueError):
                z = float("nan")  # unreadable: reported as unusable by the caller
            return (z, y * unit_um, x * unit_um), "imagej", metadata
    unit_tag = page.tags.get("ResolutionUnit")
    unit_value = int(unit_tag.value) if unit_tag is not None else 1
    if xy is not None and unit_value in _UM_PER_RESOLUTION_UNIT:
        factor = _UM_PER_RESOLUTION_UNIT[unit_value]
        metadata["pixel_size_um"] = (xy[0] * factor, xy[1] * factor)
        metadata["note"] = "resolution tags give x and y only; z spacing unknown"
    return None, None, metadata


def _resolution_um(page: Any) -> tuple[float, float] | None:
    """(y, x) pixel size in the file's unit, from Y/XResolution (pixels per unit)."""
    sizes = []
    for name in ("YResolution", "XResolution"):
        tag = page.tags.get(name)
        if tag is None:
            return None
        value = tag.value
        numerator, denominator = (value if isinstance(value, tuple) else (value, 1))[:2]
        if not numerator or not denominator:
            return None
        sizes.append(float(denominator) / float(numerator))
    return sizes[0], sizes[1]


def _ome_voxel_size(xml: str, metadata: dict[str, Any]) -> tuple[float, float, float] | None:
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return None
    pixels = next((e for e in root.iter() if re.sub(r"^\{.*\}", "", e.tag) == "Pixels"), None)
    if pixels is None:
        return None
    sizes = []
    for axis in ("Z", "Y", "X"):
        value = pixels.get(f"PhysicalSize{axis}")
        unit_um = _unit_to_um(pixels.get(f"PhysicalSize{axis}Unit", "µm"))
        if value is None or unit_um is None:
            return None
        try:
            sizes.append(float(value) * unit_um)
        except ValueError:
            sizes.append(float("nan"))  # unreadable: reported as unusable by the caller
    metadata["ome"] = {k: v for k, v in pixels.attrib.items() if k.startswith("PhysicalSize")}
    return sizes[0], sizes[1], sizes[2]
