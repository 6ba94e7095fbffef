"""LinearRegression over every rank, ported from scikit-learn-intelex's SPMD example by changing
its import lines only (marked `was:`).

    mpirun -n 4 python examples/python/linear_regression_spmd.py

`dpt.asarray(..., sycl_queue=q)` gives a numpy array that names the queue: calls given it run on
that GPU (or, with `SyclQueue("cpu")`, on the CPU).
"""

from warnings import warn

import numpy as np
from mpi4py import MPI

import spmd_learn.dpctl as dpctl  # was: import dpctl
import spmd_learn.dpctl.tensor as dpt  # was: import dpctl.tensor as dpt
from spmd_learn.linear_model import LinearRegression  # was: from sklearnex.spmd.linear_model import ...


def generate_X_y(ns, data_seed):
    nf, nr = 12, 3
    crng = np.random.default_rng(777)
    coef = crng.uniform(-4, 1, size=(nr, nf)).T
    intercept = crng.uniform(-1, 9, size=(nr,))
    drng = np.random.default_rng(data_seed)
    data = drng.uniform(-7, 7, size=(ns, nf))
    return data, data @ coef + intercept[np.newaxis, :]


comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()
if size < 2:
    warn("this example is meant for several ranks: mpirun -n 4 ...", RuntimeWarning)

X, y = generate_X_y(101, rank)
q = dpctl.SyclQueue("gpu" if dpctl.has_gpu_devices() else "cpu")
dpt_X = dpt.asarray(X, usm_type="device", sycl_queue=q)
dpt_y = dpt.asarray(y, usm_type="device", sycl_queue=q)

model = LinearRegression().fit(dpt_X, dpt_y)
print(f"Coefficients on rank {rank}:\n", model.coef_)
print(f"Intercept on rank {rank}:\n", model.intercept_)

X_test, _ = generate_X_y(1024, rank + 100)
dpt_X_test = dpt.asarray(X_test, usm_type="device", sycl_queue=q)
result = model.predict(dpt_X_test)
print(f"Result on rank {rank}:\n", dpt.to_numpy(result)[:3])
