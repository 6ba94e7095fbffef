/// Element types of the host arrays handed to kernels: `f32` and `f64`.
pub trait HostFloat:
    num_traits::Float
    + bytemuck::Pod
    + Send
    + Sync
    + std::fmt::Debug
    + std::fmt::Display
    + std::iter::Sum
    + 'static
{
    /// numpy's name of the type (`"float32"`, `"float64"`).
    const DTYPE: &'static str;
    /// Widening (exact) or identity conversion.
    fn as_f64(self) -> f64;
    /// Conversion from f64, rounding to nearest.
    fn from_f64_lossy(value: f64) -> Self;
}

impl HostFloat for f32 {
    const DTYPE: &'static str = "float32";
    fn as_f64(self) -> f64 {
        f64::from(self)
    }
    fn from_f64_lossy(value: f64) -> Self {
        value as f32
    }
}

impl HostFloat for f64 {
    const DTYPE: &'static str = "float64";
    fn as_f64(self) -> f64 {
        self
    }
    fn from_f64_lossy(value: f64) -> Self {
        value
    }
}
