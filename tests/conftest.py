"""Shared test helpers: where the real instrument files live, skipping when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: ../shared/data/real beside the project root (override with ECHEM_REAL_DATA).
REAL_DATA = Path(
    os.environ.get(
        "ECHEM_REAL_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
    )
)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

SKIP_REASON = (
    f"real instrument files not found at {REAL_DATA} "
    "(the ../shared folder is absent, or ECHEM_REAL_DATA names an empty folder)"
)


def _has_real_data() -> bool:
    """Whether the real-data folder exists and holds anything."""
    try:
        return REAL_DATA.is_dir() and any(REAL_DATA.iterdir())
    except OSError:
        return False


#: Whether real instrument files are there to read (fixed for the whole session).
HAVE_REAL_DATA = _has_real_data()


def real(relative: str) -> Path:
    """Path of a real file under ../shared/data/real, skipping the test when absent."""
    path = REAL_DATA / relative
    if not path.exists():
        pytest.skip(SKIP_REASON)
    return path


def real_files(pattern: str) -> list[Path]:
    """Sorted real files matching a glob (empty when ../shared is absent)."""
    if not HAVE_REAL_DATA:
        return []
    return sorted(REAL_DATA.glob(pattern))


requires_real_data = pytest.mark.skipif(not HAVE_REAL_DATA, reason=SKIP_REASON)


def requires_real(*relative: str) -> pytest.MarkDecorator:
    """Mark for a test that reads these real files: skipped, naming the files, when one
    is absent. For module-level paths (``REAL_DATA / relative``), which must not call
    :func:`real` at import time (collection would fail without the data)."""
    missing = [name for name in relative if not (REAL_DATA / name).exists()]
    return pytest.mark.skipif(bool(missing), reason=f"{SKIP_REASON}: {', '.join(missing)}")


@pytest.fixture
def real_data() -> Path:
    """The real-data folder; skips the test when ../shared is absent."""
    if not HAVE_REAL_DATA:
        pytest.skip(SKIP_REASON)
    return REAL_DATA


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests parametrized over real files have no parameters when ../shared is absent:
    give them the clear reason instead of pytest's "got empty parameter set"."""
    if HAVE_REAL_DATA:
        return
    for item in items:
        if any(
            "empty parameter set" in str(m.kwargs.get("reason", ""))
            for m in item.iter_markers(name="skip")
        ):
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON), append=False)
