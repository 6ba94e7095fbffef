"""BasicStatistics over every rank: `mpirun -n 4 python examples/python/basic_statistics_spmd.py`."""

import numpy as np
from mpi4py import MPI

from spmd_learn.basic_statistics import BasicStatistics

rank = MPI.COMM_WORLD.Get_rank()
X = np.random.default_rng(rank).uniform(-5, 5, size=(500, 4))
weights = np.random.default_rng(rank + 10).uniform(0.5, 1.5, size=500)

stats = BasicStatistics(result_options=["mean", "variance", "min", "max"]).fit(X, sample_weight=weights)
print(f"Weighted mean on rank {rank}: {stats.mean_}")
print(f"Weighted variance on rank {rank}: {stats.variance_}")
