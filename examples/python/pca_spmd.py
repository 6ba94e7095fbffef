"""PCA over every rank: `mpirun -n 4 python examples/python/pca_spmd.py`."""

import numpy as np
from mpi4py import MPI

from spmd_learn.decomposition import PCA

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
rng = np.random.default_rng(rank)
X = rng.normal(size=(1000, 8)) @ np.random.default_rng(42).normal(size=(8, 8))

pca = PCA(n_components=3).fit(X)  # collective: every rank gets the same components
print(f"Explained variance ratio on rank {rank}: {pca.explained_variance_ratio_}")
print(f"First projected row on rank {rank}: {pca.transform(X[:1])}")  # local
