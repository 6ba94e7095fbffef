"""LogisticRegression over every rank, with string labels, ported from scikit-learn-intelex's
SPMD example by changing its import lines only (marked `was:`).

    mpirun -n 4 python examples/python/logistic_regression_spmd.py
"""

import numpy as np
from mpi4py import MPI
from sklearn.datasets import make_classification

import spmd_learn.dpctl as dpctl  # was: import dpctl
import spmd_learn.dpnp as dpnp  # was: import dpnp
from spmd_learn import config_context  # was: from sklearnex import config_context
from spmd_learn.linear_model import LogisticRegression  # was: from sklearnex.spmd.linear_model import ...

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
X, y = make_classification(n_samples=3000, n_features=10, n_classes=3, n_informative=6, random_state=0)
y = np.array(["setosa", "versicolor", "virginica"])[y]
lo, hi = rank * len(X) // size, (rank + 1) * len(X) // size

q = dpctl.SyclQueue("gpu" if dpctl.has_gpu_devices() else "cpu")
with config_context(array_api_dispatch=True):
    X_local = dpnp.asarray(X[lo:hi], usm_type="device", sycl_queue=q)
    model = LogisticRegression(max_iter=200).fit(X_local, y[lo:hi])
    predicted = dpnp.asnumpy(model.predict(X_local))
    accuracy = model.score(X_local, y[lo:hi])  # over every rank's rows

print(f"Classes on rank {rank}: {model.classes_}; predicted (first 3): {predicted[:3]}")
if rank == 0:
    print(f"accuracy over every rank's rows: {accuracy:.4f}")
