//! A tree's arrays in a model file: `{"dtype": "<f8", "data": "<base64>"}`, the little-endian
//! bytes of the array (numpy's `np.frombuffer(base64.b64decode(data), dtype)` reads it). Half
//! the size of decimal JSON and exact; a plain JSON array is read too.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An element type of a packed array.
pub(crate) trait Element: bytemuck::Pod + for<'de> Deserialize<'de> {
    /// numpy's name of the little-endian type.
    const DTYPE: &'static str;
}

impl Element for f64 {
    const DTYPE: &'static str = "<f8";
}
impl Element for i32 {
    const DTYPE: &'static str = "<i4";
}
impl Element for u64 {
    const DTYPE: &'static str = "<u8";
}

#[derive(Serialize, Deserialize)]
struct Packed {
    dtype: String,
    data: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Either<T> {
    Packed(Packed),
    Plain(Vec<T>),
}

/// Serialises `values` packed.
pub(crate) fn serialize<S: Serializer, T: Element>(values: &[T], s: S) -> Result<S::Ok, S::Error> {
    let data = if cfg!(target_endian = "little") {
        STANDARD.encode(bytemuck::cast_slice::<T, u8>(values))
    } else {
        let mut bytes = Vec::with_capacity(std::mem::size_of_val(values));
        for v in values {
            bytes.extend(bytemuck::bytes_of(v).iter().rev());
        }
        STANDARD.encode(bytes)
    };
    Packed {
        dtype: T::DTYPE.into(),
        data,
    }
    .serialize(s)
}

/// Reads a packed array (or a plain JSON array).
pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: Element>(d: D) -> Result<Vec<T>, D::Error> {
    match Either::<T>::deserialize(d)? {
        Either::Plain(values) => Ok(values),
        Either::Packed(p) => {
            if p.dtype != T::DTYPE {
                return Err(D::Error::custom(format!(
                    "an array of dtype {} where {} was expected",
                    p.dtype,
                    T::DTYPE
                )));
            }
            let bytes = STANDARD.decode(p.data).map_err(D::Error::custom)?;
            let size = std::mem::size_of::<T>();
            if bytes.len() % size != 0 {
                return Err(D::Error::custom(
                    "a packed array's length is not whole elements",
                ));
            }
            Ok(bytes
                .chunks_exact(size)
                .map(|c| {
                    if cfg!(target_endian = "little") {
                        bytemuck::pod_read_unaligned(c)
                    } else {
                        let le: Vec<u8> = c.iter().rev().copied().collect();
                        bytemuck::pod_read_unaligned(&le)
                    }
                })
                .collect())
        }
    }
}
