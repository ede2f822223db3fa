"""Secondary tables of a file (e.g. Gamry's OCV curve before the EIS sweep).

They are kept in ``df.attrs["tables"]`` as a :class:`Tables` mapping ``name -> DataFrame``.
A plain dict of frames would break pandas, which compares ``attrs`` with ``==`` when
concatenating frames (``DataFrame == DataFrame`` has no truth value); :class:`Tables`
compares frames with :meth:`DataFrame.equals` instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pandas as pd

__all__ = ["Tables"]


class Tables(Mapping[str, pd.DataFrame]):
    """Read-only mapping of table name -> tidy frame."""

    def __init__(self, tables: Mapping[str, pd.DataFrame] | None = None) -> None:
        self._tables = dict(tables or {})

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self._tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        if list(self) != list(other):
            return False
        return all(
            isinstance(other[name], pd.DataFrame) and self[name].equals(other[name])
            for name in self
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{name!r}: <{len(frame)} rows>" for name, frame in self.items())
        return f"Tables({{{inner}}})"
