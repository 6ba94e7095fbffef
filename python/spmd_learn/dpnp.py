"""`dpnp` as scikit-learn-intelex scripts use it: `import dpnp` becomes
`import spmd_learn.dpnp as dpnp`. `asarray`/`array` give a numpy array that names its queue
(`sycl_queue=`; `usm_type` is accepted), `asnumpy` a plain numpy array, and every other name is
numpy's (`dpnp.float32`, `dpnp.mean`, ...), since the arrays are numpy arrays."""

import numpy as _np

from ._base import asarray, to_numpy

__all__ = ["array", "asarray", "asnumpy"]


def array(a, dtype=None, *, copy=True, usm_type=None, sycl_queue=None, **kwargs):
    """A copy of `a` (unless `copy=False`) that names `sycl_queue`."""
    out = asarray(a, dtype=dtype, sycl_queue=sycl_queue)
    return out.copy() if copy and out is a else out


def asnumpy(a):
    """`a` as a plain numpy array (no copy)."""
    return to_numpy(a)


def __getattr__(name):
    return getattr(_np, name)
