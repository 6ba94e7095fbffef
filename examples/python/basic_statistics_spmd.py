"""BasicStatistics over every rank, ported from scikit-learn-intelex's SPMD example by changing
its import lines only (marked `was:`).

    mpirun -n 4 python examples/python/basic_statistics_spmd.py
"""

import numpy as np
from mpi4py import MPI

import spmd_learn.dpctl as dpctl  # was: import dpctl
import spmd_learn.dpctl.tensor as dpt  # was: import dpctl.tensor as dpt
from spmd_learn.basic_statistics import BasicStatistics  # was: from sklearnex.spmd.basic_statistics import ...


def generate_data(par, size, seed=777):
    ns, nf = par["ns"], par["nf"]
    data_blocks, weight_blocks = [], []
    rng = np.random.default_rng(seed)
    for _ in range(size):
        data_blocks.append(rng.uniform(-5, 5, size=(ns, nf)))
        weight_blocks.append(rng.uniform(0.5, 1.5, size=ns))
    return data_blocks, weight_blocks


comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
q = dpctl.SyclQueue("gpu" if dpctl.has_gpu_devices() else "cpu")

data, weights = generate_data({"ns": 500, "nf": 4}, size)
dpt_data = dpt.asarray(data[rank], usm_type="device", sycl_queue=q)
dpt_weights = dpt.asarray(weights[rank], usm_type="device", sycl_queue=q)

stats = BasicStatistics(result_options=["mean", "variance", "min", "max"]).fit(
    dpt_data, sample_weight=dpt_weights
)
print(f"Weighted mean on rank {rank}: {stats.mean_}")
print(f"Weighted variance on rank {rank}: {stats.variance_}")
