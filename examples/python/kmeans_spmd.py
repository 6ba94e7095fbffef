"""KMeans over every rank: `mpirun -n 4 python examples/python/kmeans_spmd.py`.

As scikit-learn-intelex's SPMD example: each rank takes one slice of the digits, the last slice
is held out for `predict`. Only the imports and the queue/array lines differ.
"""

import numpy as np
from mpi4py import MPI
from sklearn.datasets import load_digits

import spmd_learn
from spmd_learn.cluster import KMeans


def data_slice(chunk, count):
    X, y = load_digits(return_X_y=True)
    size = X.shape[0] // count
    return X[chunk * size : (chunk + 1) * size], y[chunk * size : (chunk + 1) * size]


comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
X, _ = data_slice(rank, size + 1)
try:
    queue = spmd_learn.Queue("gpu")
except spmd_learn.SpmdError:
    queue = None  # no GPU: the CPU

model = KMeans(n_clusters=10, random_state=0).fit(spmd_learn.asarray(X, queue=queue))
print(f"Number of iterations on rank {rank}: {model.n_iter_}")
print(f"Labels on rank {rank} (first 5): {model.labels_[:5]}")
print(f"Centres on rank {rank} (first 2, first 4 features):\n{model.cluster_centers_[:2, :4]}")

X_test, _ = data_slice(size, size + 1)
labels = model.predict(spmd_learn.asarray(X_test, queue=queue))
print(f"Predicted labels on rank {rank} (first 5): {np.asarray(labels)[:5]}")
