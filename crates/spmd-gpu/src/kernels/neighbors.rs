//! Neighbour candidates: for each query row and each chunk of a block of training rows, the
//! rows with the smallest keys as the device computes them (`shaders/knn_candidates.wgsl`).
//!
//! The keys are approximate (f32, or f64 where the adapter has it). A caller that needs the
//! exact nearest rows widens each list's k-th key by the rounding bound of
//! [`Candidates::unit_roundoff`] and computes exact keys for the rows inside that band: a list
//! that is full with its last key inside the band may have left rows out and is searched
//! again on the host.

use ndarray::ArrayView2;

use super::pair_chunks::{each_dispatch, plan};
use super::{check_shapes, Recorder};
pub use crate::candidate_lists::{CandidateMeasure, Candidates, MAX_KEEP};
use crate::result_buffer::ResultBuffer;
use crate::{DeviceRows, KernelFloat, Precision, Queue, Readback, Result};

const NAME: &str = "knn_candidates";
/// The fewest training rows per chunk.
const MIN_CHUNK_ROWS: usize = 64;
/// The widest rows (in vec4s) the kernel keeps in registers (`MAX_ROW_WIDTH4` in the shader).
const MAX_CACHED_WIDTH4: usize = 16;
/// Training rows per uploaded block on a software adapter.
const DEFAULT_BLOCK_ROWS: usize = 1 << 16;

/// The candidate lists of every row of `queries` (on the device) against the rows of `block`,
/// `keep` per list (at most [`MAX_KEEP`]). With `self_shift`, query `i` is block row
/// `i + self_shift` and is not its own candidate.
pub fn candidates(
    queue: &Queue,
    queries: &DeviceRows,
    block: ArrayView2<'_, f64>,
    measure: CandidateMeasure,
    keep: usize,
    self_shift: Option<i64>,
    readback: Readback,
) -> Result<Candidates> {
    check_shapes(NAME, (1..=MAX_KEEP).contains(&keep), || {
        format!("keep must be 1..={MAX_KEEP}, not {keep}")
    })?;
    check_shapes(NAME, block.ncols() == queries.cols(), || {
        format!(
            "queries have {} columns, training rows {}",
            queries.cols(),
            block.ncols()
        )
    })?;
    check_shapes(NAME, block.nrows() < i32::MAX as usize, || {
        format!("{} training rows in one block", block.nrows())
    })?;
    match queries.precision() {
        Precision::F32 => run::<f32>(queue, queries, block, measure, keep, self_shift, readback),
        Precision::F64 => run::<f64>(queue, queries, block, measure, keep, self_shift, readback),
    }
}

fn run<R: KernelFloat>(
    queue: &Queue,
    queries: &DeviceRows,
    block: ArrayView2<'_, f64>,
    measure: CandidateMeasure,
    keep: usize,
    self_shift: Option<i64>,
    readback: Readback,
) -> Result<Candidates> {
    let elem = std::mem::size_of::<R>();
    let (n_queries, rows, k4) = (queries.rows(), block.nrows(), queries.k4);
    let upload_rows = queue.block_rows(k4 * 4 * elem, DEFAULT_BLOCK_ROWS);
    let (uploads, chunks) = plan(rows, upload_rows, n_queries, MIN_CHUNK_ROWS);
    let lists = chunks.len();
    let mut out = Candidates {
        keep,
        chunks,
        keys: vec![0.0; n_queries * lists * keep],
        rows: vec![0; n_queries * lists * keep],
        counts: vec![0; n_queries * lists],
        unit_roundoff: if elem == 4 {
            f64::from(f32::EPSILON) / 2.0
        } else {
            f64::EPSILON / 2.0
        },
    };
    if n_queries == 0 || rows == 0 {
        return Ok(out);
    }
    // Specialised to the measure, and to the width where a query row fits in registers.
    let width = if k4 <= MAX_CACHED_WIDTH4 {
        k4 as u32
    } else {
        0
    };
    let constants = [("MEASURE", measure as u32), ("ROW_WIDTH4", width)];
    let source = crate::shaders::KNN_CANDIDATES;
    let pipeline = queue.specialised_pipeline(NAME, queries.precision(), source, &constants)?;
    let largest_chunks = uploads.iter().map(|u| u.chunks).max().unwrap_or(1);
    // Queries per dispatch: as many as the output bindings hold.
    let per_query = largest_chunks * keep * elem.max(4);
    let slice = queue.binding_rows(per_query).clamp(1, n_queries);
    let keys = ResultBuffer::new(queue, "knn keys", slice * per_query, readback)?;
    let found = ResultBuffer::new(
        queue,
        "knn rows",
        slice * largest_chunks * keep * 4,
        readback,
    )?;
    let counts = ResultBuffer::new(queue, "knn counts", slice * largest_chunks * 4, readback)?;
    let no_upload_step = |_: &_| Ok(());
    each_dispatch::<R>(
        queue,
        queries,
        block,
        (&uploads, slice),
        no_upload_step,
        |d| {
            let (start, n_chunks) = (d.upload.start, d.upload.chunks);
            let (query_block, first, m) = (d.query_block, d.first, d.rows);
            // Query row q of this buffer is query `query_block.start + q`: block row
            // `query_block.start + q + self_shift`, upload row that less `start`.
            let shift = self_shift
                .map(|s| s + query_block.start as i64 - start as i64)
                .and_then(|s| i32::try_from(s).ok());
            let params = [
                m as u32,
                d.upload.rows as u32,
                k4 as u32,
                keep as u32,
                n_chunks as u32,
                d.upload.chunk_rows as u32,
                0,
                shift.unwrap_or(0) as u32,
                u32::from(shift.is_some()),
                first as u32,
                0,
                0,
            ];
            let mut recorder = Recorder::new(queue);
            let bindings = [
                &query_block.buffer,
                d.training,
                keys.binding(),
                found.binding(),
                counts.binding(),
            ];
            recorder.dispatch(&pipeline, &params, &bindings, m * n_chunks)?;
            let lists_here = m * n_chunks;
            let sizes = [
                lists_here * keep * elem,
                lists_here * keep * 4,
                lists_here * 4,
            ];
            recorder.copy(&keys, sizes[0]);
            recorder.copy(&found, sizes[1]);
            recorder.copy(&counts, sizes[2]);
            // One wait for the dispatch and the three maps.
            recorder.submit_and_map(&[
                (&keys, sizes[0]),
                (&found, sizes[1]),
                (&counts, sizes[2]),
            ])?;
            // Scatter (query, chunk) lists into the [query][list] layout.
            let at = |i: usize| {
                let (q, c) = (i / n_chunks, i % n_chunks);
                (query_block.start + first + q) * lists + d.list_base + c
            };
            counts.read_mapped::<u32, _>(sizes[2], |got| {
                for (i, &c) in got.iter().enumerate() {
                    out.counts[at(i)] = c;
                }
            })?;
            keys.read_mapped::<R, _>(sizes[0], |got| {
                for (i, list) in got.chunks_exact(keep).enumerate() {
                    let to = &mut out.keys[at(i) * keep..(at(i) + 1) * keep];
                    to.iter_mut()
                        .zip(list)
                        .for_each(|(o, v)| *o = KernelFloat::to_f64(*v));
                }
            })?;
            found.read_mapped::<u32, _>(sizes[1], |got| {
                for (i, list) in got.chunks_exact(keep).enumerate() {
                    let to = &mut out.rows[at(i) * keep..(at(i) + 1) * keep];
                    // Upload rows to block rows.
                    to.iter_mut()
                        .zip(list)
                        .for_each(|(o, &r)| *o = r + start as u32);
                }
            })
        },
    )?;
    Ok(out)
}
