//! Errors of the GPU layer.

use thiserror::Error;

/// Errors of the GPU layer.
#[derive(Debug, Error)]
pub enum Error {
    /// No usable adapter.
    #[error(
        "no GPU adapter found ({0}); install a Vulkan driver (on Debian: mesa-vulkan-drivers \
             libvulkan1) or run on the CPU by passing no queue"
    )]
    NoAdapter(String),

    /// `SPMD_DEVICE` or an explicit index names an adapter that does not exist.
    #[error("GPU device index {index} requested but only {count} adapter(s) exist: {names}")]
    DeviceIndex {
        /// Requested index.
        index: usize,
        /// Adapters found.
        count: usize,
        /// Their names.
        names: String,
    },

    /// The adapter refused to create a device.
    #[error("could not open a device on adapter {adapter}: {message}")]
    RequestDevice {
        /// Adapter name.
        adapter: String,
        /// wgpu's message.
        message: String,
    },

    /// An environment variable holds a value the library cannot use.
    #[error("environment variable {name}={value:?} is invalid: {expected}")]
    InvalidEnv {
        /// Variable name.
        name: &'static str,
        /// Value found.
        value: String,
        /// What was expected.
        expected: &'static str,
    },

    /// GPU-aware readback was demanded on an adapter that cannot map its storage buffers.
    #[error(
        "SPMD_OFFLOAD=1 (GPU-aware) needs an adapter whose storage buffers can be mapped \
             (MAPPABLE_PRIMARY_BUFFERS), and {adapter} has none; use SPMD_OFFLOAD=0 or auto"
    )]
    MappingUnsupported {
        /// Adapter name.
        adapter: String,
    },

    /// Shapes passed to a kernel do not fit together.
    #[error("kernel `{kernel}`: {message}")]
    Shape {
        /// Kernel name.
        kernel: &'static str,
        /// What was wrong.
        message: String,
    },

    /// The device failed while waiting for or reading back results.
    #[error("GPU device failure: {0}")]
    Device(String),

    /// This build has no GPU support.
    #[error(
        "built without GPU support: rebuild with the `gpu` feature (on by default) to use a GPU, \
         or run on the CPU (no queue, no --gpu)"
    )]
    Disabled,
}
