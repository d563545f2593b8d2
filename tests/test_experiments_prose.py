"""kernelnet.experiments._prose: the formatting every chapter's prose(res) shares."""

import numpy as np

from kernelnet.experiments._prose import formatted, joined, pow10


def test_formatted_is_the_f_string():
    values = [0.000123, np.float64(2.5e7), np.int64(12000), 7, np.float32(0.1)]
    for spec in ("", ".1e", ".3f", ".0%", ",", "g"):
        if spec == ",":
            vals = [v for v in values if float(v).is_integer()]
        else:
            vals = values
        got = formatted(spec, {f"k{i}": v for i, v in enumerate(vals)})
        assert got == {f"k{i}": f"{v:{spec}}" for i, v in enumerate(vals)}, spec


def test_joined_and_pow10():
    assert joined([0.1234, 0.5], ".2f") == "0.12, 0.50"
    assert joined(np.array([4, 8, 6]), sep="-") == "4-8-6"
    assert joined([]) == ""
    # the power of ten at or above x; zero (an exact result) stays "0"
    assert pow10(3e-15) == "1e-14" and pow10(1e-3) == "1e-3" and pow10(0.0) == "0"
