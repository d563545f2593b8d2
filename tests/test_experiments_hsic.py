"""Chapter 00's contract: PARAMETERS, run(...) findings and its verdict functions."""

import numpy as np
import pytest

from kernelnet.claims import Finding
from kernelnet.experiments import hsic as chapter


@pytest.mark.parametrize("p0,pmax,B,expected", [
    (0.5, 0.01, 99, "reproduced"),            # no rejection under the null, smallest p at max
    (0.01, 0.01, 99, "reproduced with a caveat"),   # a false detection at separation 0
    (0.5, 0.2, 99, "reproduced with a caveat"),     # a weak detection at the largest separation
    (0.01, 0.2, 99, "not reproduced"),
])
def test_independence_verdict_branches(p0, pmax, B, expected):
    assert chapter.independence_verdict(p0, pmax, B) == expected


def test_agreement_verdict_branches():
    assert chapter.agreement_verdict(1e-16) == "reproduced"
    assert chapter.agreement_verdict(1e-3) == "not reproduced"
    with pytest.raises(ValueError, match="worst_relative"):
        chapter.agreement_verdict(np.nan)


def test_run_small_returns_findings_with_registry_shape():
    res = chapter.run(quick=True, seed=0, n_separations=3, n=60, n_permutations=19,
                      agreement_sizes=(50, 80))
    assert len(res.dependence) == 3 and list(res.agreement.n) == [50, 80]
    ids = [f.claim_id for f in res.findings]
    assert ids == ["000.hsic", "000.hsic-fused"]
    assert all(isinstance(f, Finding) for f in res.findings)
    # the fused route agrees with the dense formula at these sizes
    assert "equals the dense formula" in res.findings[1].note


def test_run_rejects_unknown_and_bad_parameters():
    with pytest.raises(ValueError, match="unknown parameter"):
        chapter.run(quick=True, seed=0, n_blobs=3)
    with pytest.raises(ValueError, match="parameter n_permutations has a bad value"):
        chapter.run(quick=True, seed=0, n_permutations=5)
    with pytest.raises(ValueError, match="seed"):
        chapter.run(quick=True, seed=-1)
