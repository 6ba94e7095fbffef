"""k-nearest-neighbours classification over every rank:
`mpirun -n 4 python examples/python/knn_classifier_spmd.py`.

As scikit-learn-intelex's brute-force kNN SPMD example: each rank makes its own training and
test rows from a seed of its rank; `predict` is collective (the training rows travel around the
ranks), and every rank's test rows are classified against all ranks' training rows. Only the
imports and the queue/array lines differ.
"""

import numpy as np
from mpi4py import MPI
from sklearn.metrics import accuracy_score

import spmd_learn
from spmd_learn.neighbors import KNeighborsClassifier


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
try:
    queue = spmd_learn.Queue("gpu")
except spmd_learn.SpmdError:
    queue = None  # no GPU: the CPU

model = KNeighborsClassifier(algorithm="brute", n_neighbors=20, weights="uniform", p=2, metric="minkowski")
model.fit(spmd_learn.asarray(X_train, queue=queue), y_train)
y_predict = model.predict(spmd_learn.asarray(X_test, queue=queue))

print(f"Ground truth on rank {rank} (first 5): {y_test[:5]}")
print(f"Predicted on rank {rank} (first 5): {spmd_learn.to_numpy(y_predict)[:5]}")
print(f"Accuracy on rank {rank}'s test rows: {accuracy_score(y_test, spmd_learn.to_numpy(y_predict))}")
