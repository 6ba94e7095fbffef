"""RandomForestClassifier over every rank, ported from scikit-learn-intelex's SPMD example by
changing its import lines only (marked `was:`).

    mpirun -n 4 python examples/python/random_forest_classifier_spmd.py

The trees are the same for any number of ranks: compare the accuracy printed by `-n 1` and `-n 4`.
"""

from mpi4py import MPI
from sklearn.datasets import make_classification

import spmd_learn.dpctl as dpctl  # was: import dpctl
import spmd_learn.dpnp as dpnp  # was: import dpnp
from spmd_learn.ensemble import RandomForestClassifier  # was: from sklearnex.spmd.ensemble import ...

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
q = dpctl.SyclQueue("gpu" if dpctl.has_gpu_devices() else "cpu")

X, y = make_classification(n_samples=4000, n_features=16, n_informative=8, random_state=0)
X_train, y_train, X_test, y_test = X[:3000], y[:3000], X[3000:], y[3000:]
lo, hi = rank * 3000 // size, (rank + 1) * 3000 // size
t_lo, t_hi = rank * 1000 // size, (rank + 1) * 1000 // size

forest = RandomForestClassifier(n_estimators=50, random_state=0, oob_score=True)
forest.fit(dpnp.asarray(X_train[lo:hi], usm_type="device", sycl_queue=q), dpnp.asarray(y_train[lo:hi]))
dpnp_X_test = dpnp.asarray(X_test[t_lo:t_hi], usm_type="device", sycl_queue=q)
accuracy = forest.score(dpnp_X_test, y_test[t_lo:t_hi])  # over every rank's test rows
predicted = dpnp.asnumpy(forest.predict(dpnp_X_test))
print(f"Predicted on rank {rank} (first 5): {predicted[:5]}")
if rank == 0:
    print(f"out-of-bag score {forest.oob_score_:.4f}, test accuracy {accuracy:.4f}")
