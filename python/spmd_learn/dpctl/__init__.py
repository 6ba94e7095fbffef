"""What a scikit-learn-intelex script takes from `dpctl`: `import dpctl` becomes
`import spmd_learn.dpctl as dpctl`, and `import dpctl.tensor as dpt` becomes
`import spmd_learn.dpctl.tensor as dpt`.

`SyclQueue("gpu")` is this rank's GPU (a `spmd_learn.Queue`; `SpmdError` without one, as dpctl
raises without a GPU) and `SyclQueue("cpu")` the CPU.
"""

from .. import _native
from .._base import resolve_queue

__all__ = ["SyclQueue", "has_cpu_devices", "has_gpu_devices"]

_GPU = None


def SyclQueue(device=None, *args, **kwargs):  # noqa: N802 - dpctl's name
    """The queue of `device`: "gpu" (or a filter selector starting with "gpu", such as
    "gpu:0") is this rank's GPU; "cpu" is the CPU (calls on it run on the host); None or
    "default" is the GPU where there is one, else the CPU. Extra arguments (properties,
    contexts) are accepted and change nothing."""
    name = "default" if device is None else str(device).split(":")[0].lower()
    if name == "cpu":
        return "cpu"
    if name == "gpu":
        return resolve_queue("gpu")
    if name == "default":
        return resolve_queue("gpu") if has_gpu_devices() else "cpu"
    raise ValueError(f'SyclQueue takes "gpu", "cpu" or None here, not {device!r}')


def has_gpu_devices():
    """Whether this rank has a GPU that spmd_learn can use (Vulkan, Metal or DX12)."""
    global _GPU
    if _GPU is None:
        try:
            resolve_queue("gpu")
            _GPU = True
        except _native.SpmdError:
            _GPU = False
    return _GPU


def has_cpu_devices():
    """Always true: the CPU path needs no device."""
    return True
