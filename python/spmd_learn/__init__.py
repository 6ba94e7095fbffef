"""spmd_learn: scikit-learn-style estimators for SPMD execution over MPI ranks and GPUs.

Every process of ``mpirun -n 4 python script.py`` passes its own rows; ``fit`` is collective and
every rank gets the model one process fitting all the rows would. ``predict`` and ``transform``
are local; ``score`` is over every rank's rows. ``queue=None`` runs on the CPU, ``queue="gpu"`` or
``queue=spmd_learn.Queue()`` on this rank's GPU. ``comm=`` takes an mpi4py communicator (default:
every rank of the job; a single process without mpirun just works).

The modules mirror ``sklearnex.spmd``: ``linear_model``, ``basic_statistics``, ``covariance``,
``decomposition``, ``cluster``, ``naive_bayes``, ``preprocessing``, ``neighbors`` and
``ensemble``. The neighbour searches' queries are collective too (see ``spmd_learn.neighbors``).
"""

from . import (
    basic_statistics,
    cluster,
    covariance,
    decomposition,
    ensemble,
    linear_model,
    naive_bayes,
    neighbors,
    preprocessing,
)
from ._base import NotFittedError, asarray, expected_failed_checks, to_numpy
from ._config import config_context, get_config, set_config
from ._native import Communicator, Queue, SpmdError, __version__, mpi_library_version

__all__ = [
    "Communicator",
    "NotFittedError",
    "Queue",
    "SpmdError",
    "__version__",
    "asarray",
    "config_context",
    "expected_failed_checks",
    "get_config",
    "set_config",
    "to_numpy",
    "basic_statistics",
    "cluster",
    "covariance",
    "decomposition",
    "ensemble",
    "linear_model",
    "mpi_library_version",
    "naive_bayes",
    "neighbors",
    "preprocessing",
]
