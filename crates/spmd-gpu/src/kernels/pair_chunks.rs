//! How the pair kernels (neighbour candidates, DBSCAN's pairs) cut a block of rows: uploads no
//! larger than a binding, each cut into chunks so that (query rows x chunks) invocations give
//! a large GPU work for every core even with few query rows.

use ndarray::ArrayView2;

use super::{input_buffer, Recorder};
use crate::device_rows::RowBlock;
use crate::{DeviceRows, KernelFloat, Queue, Result};

/// Invocations a dispatch aims for on a GPU.
const TARGET_INVOCATIONS: usize = 1 << 16;
/// Invocations a dispatch aims for on a CPU adapter, which runs a few hundred lanes at once:
/// fewer, longer chunks keep each list's insertions rare.
const TARGET_INVOCATIONS_SOFTWARE: usize = 1 << 12;

/// Lanes a CPU adapter runs side by side (llvmpipe: 8 of 32 bits in 256-bit registers); a loop
/// runs while any of them is in it.
pub(crate) const SIDE_BY_SIDE_LANES: usize = 8;

/// How many rows a chunk may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChunkRows {
    pub min: usize,
    pub max: usize,
}

impl ChunkRows {
    /// Chunks of `min` rows or more, and no more rows than `queue` lets one invocation loop
    /// over at `iterations_per_row` loop iterations a row.
    pub(crate) fn for_queue(queue: &Queue, min: usize, iterations_per_row: usize) -> Self {
        let max = queue
            .loop_budget()
            .map_or(usize::MAX, |budget| budget / iterations_per_row.max(1));
        Self {
            min: min.min(max).max(1),
            max: max.max(1),
        }
    }
}

/// The invocations a pair kernel's dispatch aims for on `queue`.
pub(crate) fn target_invocations(queue: &Queue) -> usize {
    if queue.software() {
        TARGET_INVOCATIONS_SOFTWARE
    } else {
        TARGET_INVOCATIONS
    }
}

/// One upload of a block: its first row, its rows, rows per chunk and chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Upload {
    pub start: usize,
    pub rows: usize,
    pub chunk_rows: usize,
    pub chunks: usize,
}

/// Where a pair kernel's block of rows comes from: the host (uploaded piece by piece into one
/// reused buffer) or rows already on the device, whose blocks are the pieces.
#[derive(Clone, Copy)]
pub(crate) enum Training<'a> {
    Host(ArrayView2<'a, f64>),
    Device(&'a DeviceRows),
}

impl Training<'_> {
    /// The block's rows.
    pub(crate) fn rows(&self) -> usize {
        match self {
            Training::Host(block) => block.nrows(),
            Training::Device(rows) => rows.rows(),
        }
    }

    /// The rows' features.
    pub(crate) fn cols(&self) -> usize {
        match self {
            Training::Host(block) => block.ncols(),
            Training::Device(rows) => rows.cols(),
        }
    }

    /// The pieces `(first row, rows)` the kernel takes one at a time: of at most `upload_rows`
    /// rows from the host, the device's own blocks otherwise.
    pub(crate) fn pieces(&self, upload_rows: usize) -> Vec<(usize, usize)> {
        match self {
            Training::Host(block) => (0..block.nrows())
                .step_by(upload_rows.max(1))
                .map(|start| (start, upload_rows.min(block.nrows() - start)))
                .collect(),
            Training::Device(rows) => rows.blocks.iter().map(|b| (b.start, b.rows)).collect(),
        }
    }
}

/// The uploads of a block in `pieces` `(first row, rows)`, for `queries` query rows, cut into
/// chunks of `chunk_rows` rows, as few as give about `target` invocations; and every chunk's
/// block rows `[start, end)`, in order.
pub(crate) fn plan(
    pieces: &[(usize, usize)],
    (queries, target): (usize, usize),
    chunk_rows: ChunkRows,
) -> (Vec<Upload>, Vec<(usize, usize)>) {
    let uploads: Vec<Upload> = pieces
        .iter()
        .map(|&(start, n)| {
            let wanted = target.div_ceil(queries.max(1));
            let fewest = n.div_ceil(chunk_rows.max.max(1)).max(1);
            let most = n.div_ceil(chunk_rows.min.max(1)).max(fewest);
            let chunks = wanted.clamp(fewest, most);
            let chunk_rows = n.div_ceil(chunks).max(1);
            Upload {
                start,
                rows: n,
                chunk_rows,
                chunks: n.div_ceil(chunk_rows),
            }
        })
        .collect();
    let chunks = uploads
        .iter()
        .flat_map(|u| {
            (0..u.chunks).map(move |c| {
                let first = u.start + c * u.chunk_rows;
                (first, (first + u.chunk_rows).min(u.start + u.rows))
            })
        })
        .collect();
    (uploads, chunks)
}

/// One dispatch of a pair kernel: query rows `first..first + rows` of `query_block` (of the
/// query buffer) against the block rows of `upload`, whose chunks' lists start at
/// `list_base` in the block's order of chunks.
pub(crate) struct Dispatch<'a> {
    pub upload: Upload,
    /// The upload's position among the block's uploads.
    pub upload_index: usize,
    pub list_base: usize,
    pub query_block: &'a RowBlock,
    /// Its position among the query buffer's blocks.
    pub query_block_index: usize,
    pub first: usize,
    pub rows: usize,
    /// The upload's rows on the device (`R`, padded to the queries' width).
    pub training: &'a wgpu::Buffer,
}

/// Where each piece's rows are read from on the device.
enum Source<'a> {
    /// Uploaded from this block into this buffer, piece after piece.
    Upload(ArrayView2<'a, f64>, wgpu::Buffer),
    /// Already there, one resident block per piece.
    Resident(&'a DeviceRows),
}

/// For each piece of `training`, uploaded (in `R`, padded as `queries`) into one reused buffer
/// where it comes from the host, calls `on_upload`, then `dispatch` for every slice of at most
/// `slice` query rows of every resident query block. Each dispatch is expected to finish
/// (submit and wait) before it returns, so the next upload may overwrite the buffer.
pub(crate) fn each_dispatch<R: KernelFloat>(
    queue: &Queue,
    queries: &DeviceRows,
    training: Training<'_>,
    (uploads, slice): (&[Upload], usize),
    mut on_upload: impl FnMut(&Upload) -> Result<()>,
    mut dispatch: impl FnMut(&Dispatch<'_>) -> Result<()>,
) -> Result<()> {
    let k4 = queries.k4;
    // Rows from the host go through one buffer, reused by every piece.
    let source = match training {
        Training::Host(block) => {
            let largest = uploads.iter().map(|u| u.rows).max().unwrap_or(1);
            let bytes = largest * k4 * 4 * std::mem::size_of::<R>();
            Source::Upload(block, input_buffer(queue, "pair kernel rows", bytes)?)
        }
        Training::Device(rows) => Source::Resident(rows),
    };
    let mut list_base = 0;
    for (upload_index, upload) in uploads.iter().enumerate() {
        let buffer = match &source {
            Source::Upload(block, buffer) => {
                let mut recorder = Recorder::new(queue);
                let shape = (upload.start, upload.rows, k4 * 4);
                let uploaded =
                    recorder.upload_rows::<f64, R>(buffer, &[*block], None, shape, None)?;
                recorder.submit(uploaded)?;
                buffer
            }
            Source::Resident(rows) => match rows.blocks.get(upload_index) {
                Some(b) => &b.buffer,
                None => {
                    return Err(crate::Error::Shape {
                        kernel: "pair kernels",
                        message: format!("no resident block {upload_index} of the rows"),
                    })
                }
            },
        };
        on_upload(upload)?;
        for (query_block_index, query_block) in queries.blocks.iter().enumerate() {
            for first in (0..query_block.rows).step_by(slice.max(1)) {
                dispatch(&Dispatch {
                    upload: *upload,
                    upload_index,
                    list_base,
                    query_block,
                    query_block_index,
                    first,
                    rows: slice.min(query_block.rows - first),
                    training: buffer,
                })?;
            }
        }
        list_base += upload.chunks;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_row_once() {
        let sizes = [(64, usize::MAX), (64, 100), (1, 7)];
        let cases = [(1000, 300, 10), (65, 1 << 16, 1), (5, 2, 100_000)];
        for ((rows, upload, queries), (min, max)) in
            cases.into_iter().flat_map(|c| sizes.map(|s| (c, s)))
        {
            let chunk_rows = ChunkRows { min, max };
            let pieces: Vec<_> = (0..rows)
                .step_by(upload)
                .map(|start| (start, upload.min(rows - start)))
                .collect();
            let (uploads, chunks) = plan(&pieces, (queries, 1 << 16), chunk_rows);
            let mut covered = 0;
            for u in &uploads {
                assert_eq!(u.start, covered);
                assert!(
                    u.chunk_rows * u.chunks >= u.rows && u.chunk_rows * (u.chunks - 1) < u.rows
                );
                assert!(u.chunk_rows <= max);
                covered += u.rows;
            }
            assert_eq!(covered, rows);
            let mut at = 0;
            for &(start, end) in &chunks {
                assert_eq!(start, at);
                at = end;
            }
            assert_eq!(at, rows);
        }
    }
}
