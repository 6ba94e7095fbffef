//! Kernel precision and the WGSL variant for it.

/// Floating-point type a kernel computes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// 32-bit: every adapter.
    F32,
    /// 64-bit: adapters with `SHADER_F64`.
    F64,
}

impl Precision {
    /// Bytes per element.
    pub fn bytes(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F64 => 8,
        }
    }

    /// The WGSL of `source` for this precision. Every kernel declares its element type once as
    /// `alias Real = f32;`; the f64 variant swaps that line.
    pub fn specialise(self, source: &str) -> String {
        match self {
            Self::F32 => source.to_string(),
            Self::F64 => source.replace("alias Real = f32;", "alias Real = f64;"),
        }
    }
}

/// Element types a kernel computes in (`f32`, `f64`).
pub trait KernelFloat: spmd_partials::HostFloat + Default {
    /// Rounds `value` to this type.
    fn from_f64(value: f64) -> Self;
    /// Widens to f64.
    fn to_f64(self) -> f64;
}

impl KernelFloat for f32 {
    fn from_f64(value: f64) -> Self {
        value as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl KernelFloat for f64 {
    fn from_f64(value: f64) -> Self {
        value
    }
    fn to_f64(self) -> f64 {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shader_declares_its_real_alias_once() {
        for (name, source) in crate::SHADERS {
            assert_eq!(
                source.matches("alias Real = f32;").count(),
                1,
                "{name}.wgsl"
            );
            assert!(Precision::F64
                .specialise(source)
                .contains("alias Real = f64;"));
        }
    }
}
