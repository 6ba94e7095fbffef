"""KMeans over every rank, ported from scikit-learn-intelex's SPMD example by changing its import
lines only (marked `was:`).

    mpirun -n 4 python examples/python/kmeans_spmd.py

Each rank takes its share of scikit-learn's digits, and the last tenth is held out for `predict`.
"""

import numpy as np
from mpi4py import MPI
from sklearn.datasets import load_digits

import spmd_learn.dpctl as dpctl  # was: import dpctl
import spmd_learn.dpctl.tensor as dpt  # was: import dpctl.tensor as dpt
from spmd_learn.cluster import KMeans  # was: from sklearnex.spmd.cluster import KMeans


def get_data_slice(chunk, count):
    assert chunk < count
    X, y = load_digits(return_X_y=True)
    n_samples, _ = X.shape
    size = n_samples // count
    first = chunk * size
    last = first + size
    return (X[first:last, :], y[first:last])


comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
q = dpctl.SyclQueue("gpu" if dpctl.has_gpu_devices() else "cpu")

X, _ = get_data_slice(rank, size)
split = len(X) * 9 // 10
dpt_X = dpt.asarray(X[:split], usm_type="device", sycl_queue=q)
dpt_X_test = dpt.asarray(X[split:], usm_type="device", sycl_queue=q)

model = KMeans(n_clusters=10, random_state=0).fit(dpt_X)
print(f"Number of iterations on rank {rank}: {model.n_iter_}")
print(f"Inertia on rank {rank}: {model.inertia_:.1f}")
labels = model.predict(dpt_X_test)
print(f"Predicted labels on rank {rank} (first 5): {dpt.to_numpy(labels)[:5]}")
