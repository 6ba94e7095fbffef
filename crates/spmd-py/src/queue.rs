//! This rank's GPU, as Python sees it.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::errors::SpmdError;

/// This rank's GPU (Vulkan, Metal or DX12 through wgpu): `spmd_learn.Queue()` or
/// `spmd_learn.Queue("gpu")`. Pass it as
/// `queue=` to `fit`, `predict`, `transform` and `score`; `queue=None` is the CPU. Raises
/// `SpmdError` when no adapter is found.
#[pyclass(frozen, module = "spmd_learn._native")]
pub(crate) struct Queue {
    pub(crate) queue: Arc<spmd_core::Queue>,
}

#[pymethods]
impl Queue {
    #[new]
    #[pyo3(signature = (device=None))]
    fn new(py: Python<'_>, device: Option<&str>) -> PyResult<Self> {
        // A device filter as dpctl's `SyclQueue("gpu")`; the adapter itself is chosen by wgpu
        // (and WGPU_ADAPTER_NAME / WGPU_BACKEND).
        if let Some(other) = device.filter(|d| *d != "gpu") {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "Queue(\"{other}\"): only \"gpu\" is a queue; pass queue=None for the CPU"
            )));
        }
        let queue = py
            .detach(spmd_core::Queue::new)
            .map_err(|e| SpmdError::new_err(e.to_string()))?;
        Ok(Self {
            queue: Arc::new(queue),
        })
    }

    /// The adapter's name.
    #[getter]
    fn name(&self) -> String {
        self.queue.info().name.clone()
    }

    /// Whether f64 data are computed in f64 on this queue.
    #[getter]
    fn supports_f64(&self) -> bool {
        self.queue.info().supports_f64
    }

    fn __repr__(&self) -> String {
        format!("Queue({})", self.queue.info())
    }
}
