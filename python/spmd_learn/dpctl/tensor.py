"""`dpctl.tensor` as scikit-learn-intelex scripts use it: `asarray` (a numpy array that names
its queue, so calls given it run there; `usm_type` and other placement options are accepted:
the rows stay in host memory and are streamed to the GPU) and `to_numpy`."""

from .._base import asarray, to_numpy

__all__ = ["asarray", "to_numpy"]
