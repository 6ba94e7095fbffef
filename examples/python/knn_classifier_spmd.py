"""k-nearest-neighbours classification over every rank:
`mpirun -n 4 python examples/python/knn_classifier_spmd.py`.

As scikit-learn-intelex's brute-force kNN SPMD example: each rank makes its own training and
test rows from a seed of its rank; `predict` is collective (the training rows travel around the
ranks), and every rank's test rows are classified against all ranks' training rows. Ported by changing its import lines
only (marked `was:`).
"""

import numpy as np
from mpi4py import MPI
from sklearn.metrics import accuracy_score

import spmd_learn.dpctl as dpctl  # was: import dpctl
import spmd_learn.dpctl.tensor as dpt  # was: import dpctl.tensor as dpt
from spmd_learn.neighbors import KNeighborsClassifier  # was: from sklearnex.spmd.neighbors import ...


def generate_X_y(rows, features, classes, seed):
    """Rows around one centre per class, the same centres on every rank."""
    centres = np.random.default_rng(0).normal(scale=4.0, size=(classes, features))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, size=rows)
    return centres[y] + rng.normal(size=(rows, features)), y


comm = MPI.COMM_WORLD
rank = comm.Get_rank()
X_train, y_train = generate_X_y(1000, 16, 8, rank)
X_test, y_test = generate_X_y(200, 16, 8, rank + 99)
q = dpctl.SyclQueue("gpu" if dpctl.has_gpu_devices() else "cpu")

model = KNeighborsClassifier(algorithm="brute", n_neighbors=20, weights="uniform", p=2, metric="minkowski")
model.fit(dpt.asarray(X_train, usm_type="device", sycl_queue=q), dpt.asarray(y_train, sycl_queue=q))
y_predict = model.predict(dpt.asarray(X_test, usm_type="device", sycl_queue=q))

print(f"Ground truth on rank {rank} (first 5): {y_test[:5]}")
print(f"Predicted on rank {rank} (first 5): {dpt.to_numpy(y_predict)[:5]}")
print(f"Accuracy on rank {rank}'s test rows: {accuracy_score(y_test, dpt.to_numpy(y_predict))}")
