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

SKIP_REASON = f"real instrument files not found at {REAL_DATA} (the ../shared folder is absent)"


def real(relative: str) -> Path:
    """Path of a real file under ../shared/data/real, skipping the test when absent."""
    path = REAL_DATA / relative
    if not path.exists():
        pytest.skip(SKIP_REASON)
    return path


def real_files(pattern: str) -> list[Path]:
    """Sorted real files matching a glob (empty when ../shared is absent)."""
    if not REAL_DATA.exists():
        return []
    return sorted(REAL_DATA.glob(pattern))


requires_real_data = pytest.mark.skipif(not REAL_DATA.exists(), reason=SKIP_REASON)


@pytest.fixture
def real_data() -> Path:
    """The real-data folder; skips the test when ../shared is absent."""
    if not REAL_DATA.exists():
        pytest.skip(SKIP_REASON)
    return REAL_DATA


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests parametrized over real files have no parameters when ../shared is absent:
    give them the clear reason instead of pytest's "got empty parameter set"."""
    if REAL_DATA.exists():
        return
    for item in items:
        if any(
            "empty parameter set" in str(m.kwargs.get("reason", ""))
            for m in item.iter_markers(name="skip")
        ):
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON), append=False)
