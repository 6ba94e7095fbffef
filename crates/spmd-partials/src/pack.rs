//! Host rows into the padded, shifted layout of a block: what the CPU kernels read, and what
//! a GPU's staging buffers hold.

use ndarray::ArrayView2;

use crate::HostFloat;

/// Writes rows `start..start + rows` of `[parts[0] | parts[1] | ...] - shift` into `out`, one row
/// every `stride` elements (the tail of each row zero), and adds each row's shifted values to
/// `sums` (in f64).
///
/// ```
/// use ndarray::array;
/// let x = array![[1.0_f64, 2.0], [3.0, 4.0]];
/// let mut out = [0.0_f32; 6];
/// let mut sums = [0.0; 2];
/// spmd_partials::pack_rows(&[x.view()], Some(&[1.0, 1.0]), 0, 2, 3, &mut out, Some(&mut sums));
/// assert_eq!(out, [0.0, 1.0, 0.0, 2.0, 3.0, 0.0]);
/// assert_eq!(sums, [2.0, 4.0]);
/// ```
pub fn pack_rows<F: HostFloat, R: HostFloat>(
    parts: &[ArrayView2<'_, F>],
    shift: Option<&[f64]>,
    start: usize,
    rows: usize,
    stride: usize,
    out: &mut [R],
    sums: Option<&mut [f64]>,
) {
    let len = (rows * stride).min(out.len());
    pack_serial(parts, shift, start, &mut out[..len], stride, sums);
}

/// [`pack_rows`] of as many rows as `out` holds, on this thread.
fn pack_serial<F: HostFloat, R: HostFloat>(
    parts: &[ArrayView2<'_, F>],
    shift: Option<&[f64]>,
    start: usize,
    out: &mut [R],
    stride: usize,
    mut sums: Option<&mut [f64]>,
) {
    if stride == 0 {
        return;
    }
    let width: usize = parts.iter().map(|p| p.ncols()).sum();
    let zeros = vec![0.0; width];
    let shift = shift.unwrap_or(&zeros);
    for (local, row_out) in out.chunks_exact_mut(stride).enumerate() {
        let row = start + local;
        let mut col = 0;
        for part in parts {
            let values = part.row(row);
            let end = col + values.len();
            let (dst, sh) = (&mut row_out[col..end], &shift[col..end]);
            match (values.as_slice(), sums.as_deref_mut()) {
                (Some(src), Some(sums)) => {
                    for (((d, s), v), acc) in
                        dst.iter_mut().zip(sh).zip(src).zip(&mut sums[col..end])
                    {
                        let z = v.as_f64() - s;
                        *d = R::from_f64_lossy(z);
                        *acc += z;
                    }
                }
                (Some(src), None) => {
                    for ((d, s), v) in dst.iter_mut().zip(sh).zip(src) {
                        *d = R::from_f64_lossy(v.as_f64() - s);
                    }
                }
                (None, mut sums) => {
                    for (k, ((d, s), v)) in dst.iter_mut().zip(sh).zip(values.iter()).enumerate() {
                        let z = v.as_f64() - s;
                        *d = R::from_f64_lossy(z);
                        if let Some(sums) = sums.as_deref_mut() {
                            sums[col + k] += z;
                        }
                    }
                }
            }
            col = end;
        }
        row_out[col..].fill(R::zero());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn concatenates_shifts_pads_and_sums() {
        let x = array![[1.0_f64, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let y = array![[10.0_f64], [20.0], [30.0]];
        let mut out = vec![-1.0_f32; 2 * 4];
        let mut sums = vec![0.0; 3];
        pack_rows(
            &[x.view(), y.view()],
            Some(&[1.0, 1.0, 10.0]),
            1,
            2,
            4,
            &mut out,
            Some(&mut sums),
        );
        assert_eq!(out, [2.0, 3.0, 10.0, 0.0, 4.0, 5.0, 20.0, 0.0]);
        assert_eq!(sums, [6.0, 8.0, 30.0]);
    }

    #[test]
    fn strided_views_pack_like_contiguous_ones() {
        let x = array![[1.0_f64, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let t = x.t(); // 3 x 2, rows not contiguous
        let mut out = vec![0.0_f64; 3 * 2];
        let mut sums = vec![0.0; 2];
        pack_rows(&[t], None, 0, 3, 2, &mut out, Some(&mut sums));
        assert_eq!(out, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert_eq!(sums, [6.0, 15.0]);
    }
}
