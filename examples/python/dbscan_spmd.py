"""DBSCAN over every rank, ported from scikit-learn-intelex's SPMD example by changing its import
lines only (marked `was:`).

    mpirun -n 4 python examples/python/dbscan_spmd.py

Each rank's `labels_` are its own rows' labels, the same as one process clustering all rows.
"""

import numpy as np
from mpi4py import MPI
from sklearn.datasets import make_blobs

import spmd_learn.dpctl as dpctl  # was: import dpctl
import spmd_learn.dpctl.tensor as dpt  # was: import dpctl.tensor as dpt
from spmd_learn.cluster import DBSCAN  # was: from sklearnex.spmd.cluster import DBSCAN


def get_test_data(size):
    X, y = make_blobs(n_samples=2000, centers=5, n_features=3, cluster_std=0.5, random_state=777)
    return np.array_split(X, size), y


comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
q = dpctl.SyclQueue("gpu" if dpctl.has_gpu_devices() else "cpu")

X_parts, _ = get_test_data(size)
dpt_X = dpt.asarray(X_parts[rank], usm_type="device", sycl_queue=q)
model = DBSCAN(eps=0.5, min_samples=10).fit(dpt_X)
labels = dpt.to_numpy(model.labels_)
print(f"Clusters seen on rank {rank}: {sorted(set(labels.tolist()) - {-1})}; noise rows: {(labels == -1).sum()}")
