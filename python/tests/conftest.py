"""Shared helpers: every test runs on every rank (`mpirun -n N python -m pytest`), each rank
passing its own rows of one global dataset and comparing with scikit-learn fitted on all rows.

Rows are split unevenly, and with four ranks rank 1 holds none.
"""

import numpy as np
import pytest

from mpi4py import MPI  # initialises MPI before spmd_learn: the other order is in no_mpi4py.py

WORLD = MPI.COMM_WORLD


def bounds(n, comm=WORLD):
    """This rank's rows [lo, hi) of n: shares 1, 3, 0, 4 (repeating) of the rows, so with four
    ranks rank 2 has none."""
    shares = [[1, 3, 0, 4][r % 4] for r in range(comm.Get_size())]
    if sum(shares) == 0:
        shares = [1] * len(shares)
    cuts = np.concatenate([[0], np.cumsum(shares)]) * n // sum(shares)
    r = comm.Get_rank()
    return int(cuts[r]), int(cuts[r + 1])


def local(*arrays, comm=WORLD):
    """This rank's rows of each array."""
    lo, hi = bounds(len(arrays[0]), comm)
    out = tuple(a[lo:hi] for a in arrays)
    return out if len(out) > 1 else out[0]


def pytest_runtest_logreport(report):
    """A test that fails on one rank leaves the others waiting in a collective: print the failure
    and abort the whole job instead of hanging."""
    if report.failed and WORLD.Get_size() > 1:
        import sys

        sys.stderr.write(f"\nrank {WORLD.Get_rank()}: {report.nodeid} failed\n{report.longreprtext}\n")
        sys.stderr.flush()
        WORLD.Abort(1)


def rows_alike(ours, ref, X, **tolerance):
    """`ours(X)` equals `ref(X)` for this rank's rows (scikit-learn refuses an empty X)."""
    from numpy.testing import assert_allclose

    result = ours(X)
    if len(X) == 0:
        assert len(result) == 0
        return
    expected = ref(X)
    assert np.shape(result) == np.shape(expected)
    assert_allclose(result, expected, **tolerance)


@pytest.fixture
def world():
    return WORLD


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def regression_data(rng, n=300, d=5, targets=1):
    X = rng.normal(size=(n, d))
    W = rng.normal(size=(d, targets))
    y = X @ W + 0.5 + 0.01 * rng.normal(size=(n, targets))
    return X, (y.ravel() if targets == 1 else y)


def classification_data(rng, n=400, d=4, classes=3):
    centres = rng.normal(scale=3.0, size=(classes, d))
    labels = rng.integers(0, classes, size=n)
    X = centres[labels] + rng.normal(size=(n, d))
    return X, labels
