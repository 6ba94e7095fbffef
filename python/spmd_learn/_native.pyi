"""Type stubs of the native module `spmd_learn._native` (Rust, through pyo3)."""

from typing import Dict, List, Optional, Tuple

import numpy as np
import numpy.typing as npt

__version__: str

class SpmdError(RuntimeError):
    """A failure that is not bad input: another rank's failure, MPI, the GPU, a failed solve."""

class Communicator:
    """The ranks that fit together: `Communicator()` is every rank of the job (or this process
    alone without mpirun); `Communicator(comm.py2f())` duplicates an mpi4py communicator."""

    def __init__(self, handle: Optional[int] = None) -> None: ...
    @property
    def rank(self) -> int: ...
    @property
    def size(self) -> int: ...
    def agree(self, error: Optional[str] = None) -> None: ...
    def allreduce_sum(self, values: List[float]) -> List[float]: ...
    def allgather_bytes(self, data: bytes) -> List[bytes]: ...

class Queue:
    """This rank's GPU (Vulkan, Metal or DX12 through wgpu)."""

    def __init__(self, device: Optional[str] = None) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def supports_f64(self) -> bool: ...

class Model:
    """A fitted model: the command line's JSON model file, its estimator and the fitted model.
    For the neighbour searches every query (`apply` too) is collective."""

    @staticmethod
    def from_json(text: str) -> "Model": ...
    def to_json(self) -> str: ...
    def attributes_json(self) -> str: ...
    def attribute(self, name: str) -> Optional[str]: ...
    def attribute_names(self) -> List[str]: ...
    @property
    def estimator(self) -> str: ...
    def apply(
        self,
        operation: str,
        x: npt.NDArray[np.floating],
        comm: Communicator,
        queue: Optional[Queue] = None,
    ) -> npt.NDArray[np.float64]: ...
    def kneighbors(
        self,
        x: Optional[npt.NDArray[np.floating]],
        k: Optional[int],
        comm: Communicator,
        queue: Optional[Queue] = None,
    ) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
    def radius_neighbors(
        self,
        x: Optional[npt.NDArray[np.floating]],
        radius: Optional[float],
        sort_results: bool,
        comm: Communicator,
    ) -> List[Tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]]: ...

class Incremental:
    """`partial_fit` state of any estimator of the registry that fits batch by batch
    ("linear-regression", "incremental-pca", "multinomial-nb", the scalers,
    "incremental-basic-statistics", "incremental-empirical-covariance", ...); `finalize` is
    collective."""

    def __init__(self, name: str, params: str, comm: Communicator) -> None: ...
    def partial_fit(
        self,
        x: npt.NDArray[np.floating],
        y: Optional[npt.NDArray[np.float64]] = None,
        y_is_1d: bool = False,
        queue: Optional[Queue] = None,
        classes: Optional[List[int]] = None,
        sample_weight: Optional[npt.NDArray[np.float64]] = None,
    ) -> None: ...
    @property
    def batches(self) -> int: ...
    def finalize(self, comm: Communicator) -> Model: ...

def estimator_names() -> List[str]: ...
def check_params(name: str, params: str) -> str: ...
def fit(
    name: str,
    params: str,
    x: npt.NDArray[np.floating],
    comm: Communicator,
    y: Optional[npt.NDArray[np.float64]] = None,
    y_is_1d: bool = False,
    sample_weight: Optional[npt.NDArray[np.float64]] = None,
    queue: Optional[Queue] = None,
    local: bool = False,
) -> Tuple[Model, Optional[npt.NDArray[np.float64]], Dict[str, npt.NDArray[np.float64]]]: ...
def mpi_library_version() -> str: ...
