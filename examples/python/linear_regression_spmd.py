"""LinearRegression over every rank, written as scikit-learn-intelex's SPMD example is.

    mpirun -n 4 python examples/python/linear_regression_spmd.py

Coming from `sklearnex.spmd`, only the marked lines change: the imports, the queue and the array
conversions (`dpctl.tensor.asarray` -> `spmd_learn.asarray`, `dpt.to_numpy` ->
`spmd_learn.to_numpy`). Calls follow the data: arrays from `spmd_learn.asarray(..., queue=q)` run
on that GPU; plain numpy arrays on the CPU.
"""

from warnings import warn

import numpy as np
from mpi4py import MPI

import spmd_learn as dpt  # changed: was `import dpctl.tensor as dpt`
from spmd_learn import Queue as SyclQueue  # changed: was `from dpctl import SyclQueue`
from spmd_learn.linear_model import LinearRegression  # changed: was sklearnex.spmd.linear_model


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
try:
    queue = SyclQueue("gpu")
except dpt.SpmdError:  # added: no GPU here, so the CPU
    queue = None
dpt_X = dpt.asarray(X, usm_type="device", sycl_queue=queue)
dpt_y = dpt.asarray(y, usm_type="device", sycl_queue=queue)

model = LinearRegression().fit(dpt_X, dpt_y)
print(f"Coefficients on rank {rank}:\n", model.coef_)
print(f"Intercept on rank {rank}:\n", model.intercept_)

X_test, _ = generate_X_y(1024, rank + 100)
dpt_X_test = dpt.asarray(X_test, usm_type="device", sycl_queue=queue)
result = model.predict(dpt_X_test)
print(f"Result on rank {rank}:\n", dpt.to_numpy(result)[:3])
