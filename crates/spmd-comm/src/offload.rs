use crate::{Error, Result};

/// How partial results computed on a GPU reach the collectives, chosen by `SPMD_OFFLOAD`.
///
/// | `SPMD_OFFLOAD` | mode |
/// |---|---|
/// | `0`, `host` | [`Offload::HostStaging`] |
/// | `1`, `gpu` | [`Offload::GpuAware`] |
/// | unset, `auto` | [`Offload::Auto`] |
///
/// ```
/// use spmd_comm::Offload;
/// assert_eq!(Offload::parse("0")?, Offload::HostStaging);
/// assert_eq!(Offload::parse("auto")?, Offload::Auto);
/// assert!(Offload::parse("yes").is_err());
/// # Ok::<(), spmd_comm::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Offload {
    /// Device results are copied into a mappable staging buffer and reduced from host memory.
    HostStaging,
    /// The collective reads the device-visible result buffer directly (no staging copy). Needs
    /// an adapter whose storage buffers can be mapped (integrated GPUs, lavapipe); an error
    /// elsewhere.
    GpuAware,
    /// GPU-aware where the adapter allows it, host staging otherwise.
    #[default]
    Auto,
}

impl Offload {
    /// Name of the environment variable.
    pub const ENV: &'static str = "SPMD_OFFLOAD";

    /// Reads `SPMD_OFFLOAD`; unset means [`Offload::Auto`].
    pub fn from_env() -> Result<Self> {
        match std::env::var(Self::ENV) {
            Ok(v) => Self::parse(&v),
            Err(_) => Ok(Self::Auto),
        }
    }

    /// Parses a value of `SPMD_OFFLOAD`.
    pub fn parse(value: &str) -> Result<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "0" | "host" => Ok(Self::HostStaging),
            "1" | "gpu" => Ok(Self::GpuAware),
            "" | "auto" => Ok(Self::Auto),
            _ => Err(Error::InvalidEnv {
                name: Self::ENV,
                value: value.to_string(),
                expected: "0 (host staging), 1 (GPU-aware) or auto",
            }),
        }
    }
}
