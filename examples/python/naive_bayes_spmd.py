"""MultinomialNB over every rank on word counts with string labels, written in scikit-learn-intelex's
SPMD style (the import lines are the only ones a port changes; marked `was:`).

    mpirun -n 4 python examples/python/naive_bayes_spmd.py
"""

import numpy as np
from mpi4py import MPI

import spmd_learn.dpctl as dpctl  # was: import dpctl
import spmd_learn.dpnp as dpnp  # was: import dpnp
from spmd_learn.naive_bayes import MultinomialNB  # was: from sklearn.naive_bayes import MultinomialNB

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
q = dpctl.SyclQueue("gpu" if dpctl.has_gpu_devices() else "cpu")

topics = np.array(["sports", "science", "politics"])
rng = np.random.default_rng(rank)
profiles = np.array([[8, 1, 1, 0, 2], [1, 8, 0, 2, 1], [0, 1, 8, 2, 1]], dtype=float)
labels = rng.integers(0, 3, size=600)
counts = rng.poisson(profiles[labels])

model = MultinomialNB().fit(dpnp.asarray(counts, sycl_queue=q), topics[labels])
accuracy = model.score(dpnp.asarray(counts, sycl_queue=q), topics[labels])  # over every rank's rows
print(f"Classes on rank {rank}: {model.classes_}; class counts: {model.class_count_}")
if rank == 0:
    print(f"accuracy over every rank's rows: {accuracy:.4f}")
