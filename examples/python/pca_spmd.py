"""PCA over every rank, ported from scikit-learn-intelex's SPMD example by changing its import
lines only (marked `was:`).

    mpirun -n 4 python examples/python/pca_spmd.py
"""

import numpy as np
from mpi4py import MPI

import spmd_learn.dpctl as dpctl  # was: import dpctl
import spmd_learn.dpctl.tensor as dpt  # was: import dpctl.tensor as dpt
from spmd_learn.decomposition import PCA  # was: from sklearnex.spmd.decomposition import PCA


def get_data(data_seed):
    ns, nf = 300, 30
    drng = np.random.default_rng(data_seed)
    return drng.random(size=(ns, nf))


comm = MPI.COMM_WORLD
rank = comm.Get_rank()
q = dpctl.SyclQueue("gpu" if dpctl.has_gpu_devices() else "cpu")

X = get_data(rank)
dpt_X = dpt.asarray(X, usm_type="device", sycl_queue=q)
pca = PCA(n_components=2).fit(dpt_X)

print(f"Singular values on rank {rank}:\n", pca.singular_values_)
print(f"Explained variance ratio on rank {rank}:\n", pca.explained_variance_ratio_)
print(f"Transformed rows on rank {rank} (first 2):\n", dpt.to_numpy(pca.transform(dpt_X))[:2])
