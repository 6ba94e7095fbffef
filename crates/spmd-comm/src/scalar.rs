use bytemuck::Pod;

/// The element types collectives move and reduce.
///
/// Sealed: implemented for `f32`, `f64`, `u64`, `i64`, `u32` and `u8`, the types MPI reduces
/// natively.
pub trait Scalar: Pod + Send + Sync + sealed::Sealed {
    /// Runtime tag of the type, used by backends that dispatch on it (MPI datatypes).
    const KIND: ScalarKind;
}

/// Runtime tag of a [`Scalar`] type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ScalarKind {
    F32,
    F64,
    U64,
    I64,
    U32,
    U8,
}

/// Reduction operation of an allreduce or scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceOp {
    /// Elementwise sum.
    Sum,
    /// Elementwise minimum.
    Min,
    /// Elementwise maximum.
    Max,
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! scalar {
    ($($t:ty => $k:ident),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl Scalar for $t {
            const KIND: ScalarKind = ScalarKind::$k;
        }
    )*};
}
scalar!(f32 => F32, f64 => F64, u64 => U64, i64 => I64, u32 => U32, u8 => U8);
