"""StandardScaler over every rank, written in scikit-learn-intelex's SPMD style (the import lines
are the only ones a port changes; marked `was:`).

    mpirun -n 4 python examples/python/standard_scaler_spmd.py
"""

import numpy as np
from mpi4py import MPI

import spmd_learn.dpctl as dpctl  # was: import dpctl
import spmd_learn.dpctl.tensor as dpt  # was: import dpctl.tensor as dpt
from spmd_learn.preprocessing import StandardScaler  # was: from sklearn.preprocessing import StandardScaler

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
q = dpctl.SyclQueue("gpu" if dpctl.has_gpu_devices() else "cpu")

X = np.random.default_rng(rank).normal(loc=[0, 5, -3], scale=[1, 2, 0.5], size=(400, 3))
dpt_X = dpt.asarray(X, usm_type="device", sycl_queue=q)
scaler = StandardScaler().fit(dpt_X)
print(f"Mean on rank {rank}: {np.round(scaler.mean_, 4)}; scale: {np.round(scaler.scale_, 4)}")
print(f"Scaled rows on rank {rank} (first 2):\n", np.round(dpt.to_numpy(scaler.transform(dpt_X))[:2], 4))
