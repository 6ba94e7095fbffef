"""IncrementalEmpiricalCovariance over every rank, fed batch by batch, ported from
scikit-learn-intelex's SPMD example by changing its import lines only (marked `was:`).

    mpirun -n 4 python examples/python/covariance_spmd.py
"""

import numpy as np
from mpi4py import MPI

import spmd_learn.dpctl as dpctl  # was: import dpctl
import spmd_learn.dpnp as dpnp  # was: import dpnp
from spmd_learn.covariance import IncrementalEmpiricalCovariance  # was: from sklearnex.spmd.covariance import ...

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
q = dpctl.SyclQueue("gpu" if dpctl.has_gpu_devices() else "cpu")

rng = np.random.default_rng(rank)
X = rng.multivariate_normal([0, 1, 2], [[2, 0.5, 0], [0.5, 1, 0.3], [0, 0.3, 1.5]], size=900)
cov = IncrementalEmpiricalCovariance()
for batch in np.array_split(X, 3):  # each rank's rows arrive in three batches
    cov.partial_fit(dpnp.asarray(batch, usm_type="device", sycl_queue=q))

# The first use after partial_fit combines every batch of every rank (collective).
print(f"Covariance on rank {rank}:\n{np.round(cov.covariance_, 3)}")
print(f"Location on rank {rank}: {np.round(cov.location_, 3)}")
