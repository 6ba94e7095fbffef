"""spmd_learn without mpi4py, then with mpi4py imported after spmd_learn initialised MPI.

Run as a program, on one process and under `mpirun -n 2` / `-n 4` (scripts/test.sh does):
pytest's suite imports mpi4py first, so the other order is checked here.
"""

import sys

sys.modules["mpi4py"] = None  # `import mpi4py` now fails, as where it is not installed

import numpy as np  # noqa: E402

import spmd_learn  # noqa: E402
from spmd_learn.linear_model import LinearRegression  # noqa: E402


def main():
    world = spmd_learn.Communicator()
    rank, size = world.rank, world.size
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 4))
    y = X @ [1.0, -2.0, 0.5, 3.0] + 0.25 + 0.01 * rng.normal(size=200)
    lo, hi = rank * 200 // size, (rank + 1) * 200 // size

    # 1. mpi4py absent: the job's ranks, found from the launcher's environment.
    model = LinearRegression().fit(X[lo:hi], y[lo:hi])
    A = np.hstack([X, np.ones((200, 1))])
    expected = np.linalg.lstsq(A, y, rcond=None)[0]
    assert np.allclose(model.coef_, expected[:4], rtol=1e-10), (model.coef_, expected)
    assert np.isclose(model.intercept_, expected[4], rtol=1e-10)

    # 2. A failure on one rank raises on every rank.
    bad = X[lo:hi].copy()
    if rank == size - 1 and len(bad):
        bad[0, 0] = np.inf
    try:
        LinearRegression().fit(bad, y[lo:hi])
    except (ValueError, spmd_learn.SpmdError) as e:
        assert "inf" in str(e) or "rank" in str(e), e
    else:
        raise AssertionError("an infinite value on one rank was not an error on every rank")

    # 3. mpi4py imported after spmd_learn initialised MPI: it sees the same job, and its
    #    communicators work as `comm=`.
    del sys.modules["mpi4py"]
    from mpi4py import MPI

    # (on one process without mpirun, importing mpi4py initialises MPI itself)
    if MPI.Is_initialized():
        assert MPI.COMM_WORLD.Get_size() == size and MPI.COMM_WORLD.Get_rank() == rank
        half = MPI.COMM_WORLD.Split(rank % 2)
        mine = [r for r in range(size) if r % 2 == rank % 2]
        sub_lo = mine.index(rank) * 200 // len(mine)
        sub_hi = (mine.index(rank) + 1) * 200 // len(mine)
        sub = LinearRegression(comm=half).fit(X[sub_lo:sub_hi], y[sub_lo:sub_hi])
        assert np.allclose(sub.coef_, expected[:4], rtol=1e-10)
        half.Free()
    print(f"rank {rank} of {size}: ok")


main()
