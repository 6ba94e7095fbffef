//! `.npy` files: float64 and float32 viewed in place through a memory map; other dtypes
//! (integers, booleans, big-endian numbers) converted for this rank's rows only, from the map.

use std::fs::File;
use std::path::Path;

use ndarray::{Array2, ArrayViewD, Axis, Slice};
use ndarray_npy::ViewNpyExt;

use super::mapped::{as_two_dimensional, Mapped};
use super::selection::{rows_of, Selection};
use super::table::Storage;
use crate::CliError;

/// Errors unless the array has one or two dimensions; whether it has one.
fn check_dims(shape: &[usize], path: &Path) -> Result<bool, CliError> {
    match shape.len() {
        1 => Ok(true),
        2 => Ok(false),
        k => Err(CliError::file(
            path,
            format!("expected a 1-D or 2-D array, found {k} dimensions (shape {shape:?})"),
        )),
    }
}

pub(super) fn read(path: &Path, selection: &Selection) -> Result<(Storage, bool), CliError> {
    let file = File::open(path).map_err(|e| CliError::file(path, e))?;
    // SAFETY: the map is read-only; a file truncated by another process while mapped is outside
    // what any reader can guard against.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| CliError::file(path, e))?;

    for single_precision in [false, true] {
        let shape = if single_precision {
            ArrayViewD::<f32>::view_npy(&map).map(|v| v.shape().to_vec())
        } else {
            ArrayViewD::<f64>::view_npy(&map).map(|v| v.shape().to_vec())
        };
        if let Ok(shape) = shape {
            let one_dimensional = check_dims(&shape, path)?;
            let range = rows_of(selection, shape[0], path)?;
            let mapped = Mapped {
                map,
                single_precision,
                range,
            };
            return Ok((Storage::Mapped(mapped), one_dimensional));
        }
    }

    // Other native-endian dtypes: view the map, convert this rank's rows only.
    macro_rules! convert_viewed {
        ($($t:ty),*) => {$(
            if let Ok(all) = ArrayViewD::<$t>::view_npy(&map) {
                let one_dimensional = check_dims(all.shape(), path)?;
                let range = rows_of(selection, all.shape()[0], path)?;
                let mine = as_two_dimensional(all.slice_axis_move(Axis(0), Slice::from(range)))
                    .map_err(|e| CliError::file(path, e))?;
                return Ok((Storage::F64(mine.mapv(|v| v as f64)), one_dimensional));
            }
        )*};
    }
    convert_viewed!(i64, i32, i16, i8, u64, u32, u16, u8);
    if let Ok(all) = ArrayViewD::<bool>::view_npy(&map) {
        let one_dimensional = check_dims(all.shape(), path)?;
        let range = rows_of(selection, all.shape()[0], path)?;
        let mine = as_two_dimensional(all.slice_axis_move(Axis(0), Slice::from(range)))
            .map_err(|e| CliError::file(path, e))?;
        return Ok((Storage::F64(mine.mapv(f64::from)), one_dimensional));
    }
    read_by_hand(&map, selection, path)
}

/// What a `.npy` header says: enough to read the arrays the viewer refuses (big-endian).
#[derive(Debug, PartialEq)]
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
    data_offset: usize,
}

/// Parses the magic string, the version's header length and the header dictionary.
fn parse_header(bytes: &[u8]) -> Result<Header, String> {
    let bad = |what: &str| format!("not a valid .npy file: {what}");
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("no .npy magic string"));
    }
    let (len, start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => {
            let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            (
                usize::try_from(len).map_err(|_| bad("header too long"))?,
                12,
            )
        }
        v => return Err(bad(&format!("unknown format version {v}"))),
    };
    let text = bytes
        .get(start..start + len)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| bad("truncated or non-text header"))?;
    let value_of = |key: &str| {
        let at = text.find(&format!("'{key}'"))? + key.len() + 2;
        Some(text[at..].trim_start().strip_prefix(':')?.trim_start())
    };
    let descr = value_of("descr")
        .and_then(|v| v.strip_prefix('\'')?.split('\'').next())
        .ok_or_else(|| bad("no 'descr' in the header"))?;
    let fortran_order = value_of("fortran_order")
        .map(|v| v.starts_with("True"))
        .ok_or_else(|| bad("no 'fortran_order' in the header"))?;
    let shape = value_of("shape")
        .and_then(|v| v.strip_prefix('(')?.split(')').next())
        .ok_or_else(|| bad("no 'shape' in the header"))?
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.parse::<usize>()
                .map_err(|_| bad(&format!("bad dimension '{d}'")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Header {
        descr: descr.to_string(),
        fortran_order,
        shape,
        data_offset: start + len,
    })
}

/// Bytes per element of a numeric `descr` such as `<f8` or `>i4`.
fn element_size(descr: &str) -> Option<usize> {
    let kind = descr.chars().nth(1)?;
    "fiubc"
        .contains(kind)
        .then(|| descr.get(2..)?.parse().ok())?
}

/// Errors where the data are shorter than the header's shape says (checked before the dtype,
/// so a cut-off float64 file is called truncated, not unreadable).
fn check_length(header: &Header, file_len: usize, path: &Path) -> Result<(), CliError> {
    let Some(size) = element_size(&header.descr) else {
        return Ok(());
    };
    let needed = header
        .shape
        .iter()
        .try_fold(size, |n, &d| n.checked_mul(d))
        .and_then(|n| n.checked_add(header.data_offset));
    if needed.is_none_or(|n| n > file_len) {
        return Err(CliError::file(
            path,
            format!(
                "is truncated: shape {:?} of '{}' needs more bytes than the file's {file_len}",
                header.shape, header.descr
            ),
        ));
    }
    Ok(())
}

/// Arrays the viewer refuses: big-endian numbers, converted for this rank's rows only, straight
/// from the map (nothing is read whole); anything else is an error naming its dtype.
fn read_by_hand(
    map: &[u8],
    selection: &Selection,
    path: &Path,
) -> Result<(Storage, bool), CliError> {
    let header = parse_header(map).map_err(|e| CliError::file(path, e))?;
    check_length(&header, map.len(), path)?;
    let size = element_size(&header.descr).unwrap_or(8);
    let decode: fn(&[u8]) -> f64 = match header.descr.as_str() {
        ">f8" => |b| f64::from_be_bytes(b.try_into().unwrap_or_default()),
        ">f4" => |b| f64::from(f32::from_be_bytes(b.try_into().unwrap_or_default())),
        ">i8" => |b| i64::from_be_bytes(b.try_into().unwrap_or_default()) as f64,
        ">i4" => |b| f64::from(i32::from_be_bytes(b.try_into().unwrap_or_default())),
        ">i2" => |b| f64::from(i16::from_be_bytes(b.try_into().unwrap_or_default())),
        ">u8" => |b| u64::from_be_bytes(b.try_into().unwrap_or_default()) as f64,
        ">u4" => |b| f64::from(u32::from_be_bytes(b.try_into().unwrap_or_default())),
        ">u2" => |b| f64::from(u16::from_be_bytes(b.try_into().unwrap_or_default())),
        other => {
            return Err(CliError::file(
                path,
                format!(
                    "expected an array of numbers (float, integer or bool), found dtype '{other}'"
                ),
            ))
        }
    };
    let one_dimensional = check_dims(&header.shape, path)?;
    let (rows, cols) = (header.shape[0], header.shape.get(1).copied().unwrap_or(1));
    let range = rows_of(selection, rows, path)?;
    let data = &map[header.data_offset..];
    let at = |i: usize, j: usize| {
        let index = if header.fortran_order {
            j * rows + i
        } else {
            i * cols + j
        };
        decode(&data[index * size..(index + 1) * size])
    };
    let mine = Array2::from_shape_fn((range.len(), cols), |(i, j)| at(range.start + i, j));
    Ok((Storage::F64(mine), one_dimensional))
}
