"""echem._checks.checked_number: the one conversion of numeric arguments (ct, short circuit)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from echem._checks import checked_number
from echem.errors import DataError


def test_numbers_pass_as_floats():
    assert checked_number(2, "x") == 2.0 and checked_number(np.float32(0.5), "x") == 0.5
    assert checked_number("2.5", "x", accept=lambda v: v > 0) == 2.5
    assert checked_number(math.inf, "hold_s", infinite_ok=True) == math.inf


@pytest.mark.parametrize(
    ("value", "options", "message"),
    [
        (True, {}, "x must be a number"),  # float(True) is 1.0: not meant as a number
        ("abc", {}, "x must be a number"),
        (None, {"unit": "s"}, "x must be a number s"),
        (math.nan, {}, "x must be finite"),
        (math.inf, {}, "x must be finite"),
        (-math.inf, {"infinite_ok": True}, "x must be finite"),
        (
            0.0,
            {"accept": lambda v: v > 0, "must_be": "finite and > 0", "unit": "V"},
            "x must be finite and > 0 V, got 0.0",
        ),
    ],
)
def test_what_cannot_be_meant_is_a_data_error(value, options, message):
    with pytest.raises(DataError, match=message):
        checked_number(value, "x", **options)


def test_compare_ct_refuses_a_bool_area():
    import pandas as pd

    from echem.ct import compare_ct

    record = pd.DataFrame({"time_s": [0.0, 10.0], "current_A": [-1e-3, -1e-3]})
    ct = pd.DataFrame({"time_s": [5.0], "volume_cm3": [1e-6]})
    with pytest.raises(DataError, match="area_cm2 must be a number"):
        compare_ct(record, ct, area_cm2=True)
