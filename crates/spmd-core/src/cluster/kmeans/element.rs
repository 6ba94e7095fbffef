//! The element types the CPU's Lloyd step multiplies in.

/// f32 or f64: what the CPU step multiplies in.
pub(crate) trait Element:
    faer::traits::ComplexField + Copy + Default + PartialOrd + Send + Sync + Into<f64> + 'static
{
    /// 1 in this type.
    fn one() -> Self;
    /// `v` rounded to this type.
    fn from_f64(v: f64) -> Self;
}

impl Element for f64 {
    fn one() -> Self {
        1.0
    }
    fn from_f64(v: f64) -> Self {
        v
    }
}

impl Element for f32 {
    fn one() -> Self {
        1.0
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}
