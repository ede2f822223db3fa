"""A bounded, read-only view of part of a file as a binary stream."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

__all__ = ["ByteRange"]


class ByteRange(io.RawIOBase):
    """Read-only binary stream of the bytes ``[start, end)`` of a file, opened anew:
    what lies beyond ``end`` (rows appended while an instrument still writes) is never
    read, and the range can be read on its own thread."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        super().__init__()
        self._file = None  # close() may run (from __del__) even if open fails
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed in close()
        self._file.seek(start)
        self._left = max(0, end - start)  # an inverted range is empty

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")[: self._left]
        count = self._file.readinto(view) or 0
        self._left -= count
        return count

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes in one system call (``read_csv`` asks for 256 kB at a
        time); all that is left for a negative size."""
        if size is None or size < 0 or size > self._left:
            size = self._left
        data = self._file.read(size) or b""
        self._left -= len(data)
        return data

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()
