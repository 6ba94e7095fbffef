//! Neighbour candidates: for each query row and each chunk of a block of training rows, the
//! rows with the smallest keys as the device computes them (`shaders/knn_candidates.wgsl`).
//!
//! The keys are approximate (f32, or f64 where the adapter has it). A caller that needs the
//! exact nearest rows widens each list's k-th key by the rounding bound of
//! [`Candidates::unit_roundoff`] and computes exact keys for the rows inside that band: a list
//! that is full with its last key inside the band may have left rows out and is searched
//! again on the host.

use ndarray::ArrayView2;

use super::pair_chunks::{each_dispatch, plan, target_invocations, ChunkRows, Training};
use super::{check_shapes, Recorder};
pub use crate::candidate_lists::{CandidateMeasure, Candidates, MAX_KEEP};
use crate::result_buffer::ResultBuffer;
use crate::{DeviceRows, KernelFloat, Precision, Queue, Readback, Result};

const NAME: &str = "knn_candidates";
/// The kernel with each training row's loads shared by groups of 8 lanes.
const NAME_SUBGROUP: &str = "knn_candidates_subgroup";
/// The kernel that merges each query's lists of an upload.
const NAME_MERGE: &str = "knn_merge";
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
    let training = Training::Host(block);
    candidates_of(
        queue, queries, training, measure, keep, self_shift, readback,
    )
}

/// [`candidates`] against training rows already on the device (uploaded with
/// [`DeviceRows::upload`] in the queries' precision), which stay there for the next call.
pub fn candidates_on_device(
    queue: &Queue,
    queries: &DeviceRows,
    training: &DeviceRows,
    measure: CandidateMeasure,
    keep: usize,
    self_shift: Option<i64>,
    readback: Readback,
) -> Result<Candidates> {
    check_shapes(NAME, training.precision() == queries.precision(), || {
        "the training rows and the queries are in different precisions".into()
    })?;
    let training = Training::Device(training);
    candidates_of(
        queue, queries, training, measure, keep, self_shift, readback,
    )
}

fn candidates_of(
    queue: &Queue,
    queries: &DeviceRows,
    training: Training<'_>,
    measure: CandidateMeasure,
    keep: usize,
    self_shift: Option<i64>,
    readback: Readback,
) -> Result<Candidates> {
    let cols = training.cols();
    check_shapes(NAME, (1..=MAX_KEEP).contains(&keep), || {
        format!("keep must be 1..={MAX_KEEP}, not {keep}")
    })?;
    check_shapes(NAME, cols == queries.cols(), || {
        format!(
            "queries have {} columns, training rows {cols}",
            queries.cols(),
        )
    })?;
    check_shapes(NAME, training.rows() < i32::MAX as usize, || {
        format!("{} training rows in one block", training.rows())
    })?;
    let run = match queries.precision() {
        Precision::F32 => run::<f32>,
        Precision::F64 => run::<f64>,
    };
    run(
        queue, queries, training, measure, keep, self_shift, readback,
    )
}

fn run<R: KernelFloat>(
    queue: &Queue,
    queries: &DeviceRows,
    training: Training<'_>,
    measure: CandidateMeasure,
    keep: usize,
    self_shift: Option<i64>,
    readback: Readback,
) -> Result<Candidates> {
    let elem = std::mem::size_of::<R>();
    let (n_queries, rows, k4) = (queries.rows(), training.rows(), queries.k4);
    let upload_rows = queue.block_rows(k4 * 4 * elem, DEFAULT_BLOCK_ROWS);
    let width = if k4 <= MAX_CACHED_WIDTH4 { k4 } else { 0 };
    // Each training row's loads shared by groups of 8 lanes: where the query row sits in
    // registers and the adapter's subgroups have 8 lanes or more.
    let info = queue.info();
    let shared_loads = width > 0 && info.subgroups && info.subgroup_min_size >= 8;
    // A row's loop iterations: its own, the insertion's shifts (up to `keep`, the lanes side
    // by side shifting together) and the key's loop over the row where it is not unrolled.
    let key_loops = if shared_loads { k4.div_ceil(8) * 9 } else { k4 };
    let chunk_rows = ChunkRows::for_queue(queue, MIN_CHUNK_ROWS, 2 + keep + key_loops);
    let target = (n_queries, target_invocations(queue));
    let (uploads, chunks) = plan(&training.pieces(upload_rows), target, chunk_rows);
    let largest_chunks = uploads.iter().map(|u| u.chunks).max().unwrap_or(1);
    // Each query's lists of an upload merged on the device into one, where the merge's loops
    // (every list's keys, each with its insertion's shifts) fit the adapter's loop budget:
    // the readback is then `keep` per query and upload instead of per query and chunk.
    let merge = largest_chunks > 1
        && queue
            .loop_budget()
            .is_none_or(|budget| largest_chunks * keep * (keep + 3) <= budget);
    let (ranges, back_per_upload) = if merge {
        let whole = uploads
            .iter()
            .map(|u| (u.start, u.start + u.rows))
            .collect();
        (whole, 1)
    } else {
        (chunks, largest_chunks)
    };
    let lists = ranges.len();
    let mut out = Candidates {
        keep,
        chunks: ranges,
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
    let constants = [("MEASURE", measure as u32), ("ROW_WIDTH4", width as u32)];
    let (name, source) = if shared_loads {
        (NAME_SUBGROUP, crate::shaders::KNN_CANDIDATES_SUBGROUP)
    } else {
        (NAME, crate::shaders::KNN_CANDIDATES)
    };
    let precision = queries.precision();
    let pipeline = queue.specialised_pipeline(name, precision, source, &constants)?;
    let merger = match merge {
        true => Some(queue.pipeline(NAME_MERGE, precision, crate::shaders::KNN_MERGE)?),
        false => None,
    };
    // Queries per dispatch: as many as the lists' bindings hold.
    let per_query = largest_chunks * keep * elem.max(4);
    let slice = queue.binding_rows(per_query).clamp(1, n_queries);
    let back = slice * back_per_upload;
    let keys = ResultBuffer::new(queue, "knn keys", back * keep * elem.max(4), readback)?;
    let found = ResultBuffer::new(queue, "knn rows", back * keep * 4, readback)?;
    let counts = ResultBuffer::new(queue, "knn counts", back * 4, readback)?;
    // Where the lists are merged, the per-chunk lists stay on the device.
    let on_device = |label, bytes| queue.storage_buffer(label, bytes, wgpu::BufferUsages::STORAGE);
    let chunk_lists = match merge {
        true => Some([
            on_device("knn chunk keys", slice * per_query)?,
            on_device("knn chunk rows", slice * largest_chunks * keep * 4)?,
            on_device("knn chunk counts", slice * largest_chunks * 4)?,
        ]),
        false => None,
    };
    let no_upload_step = |_: &_| Ok(());
    each_dispatch::<R>(
        queue,
        queries,
        training,
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
            let results = [keys.binding(), found.binding(), counts.binding()];
            let lists_out = match &chunk_lists {
                Some([k, r, c]) => [k, r, c],
                None => results,
            };
            let bindings = [
                &query_block.buffer,
                d.training,
                lists_out[0],
                lists_out[1],
                lists_out[2],
            ];
            // Workgroups of 64 queries, one chunk each (the shader's numbering).
            let invocations = m.div_ceil(64) * 64 * n_chunks;
            recorder.dispatch(&pipeline, &params, &bindings, invocations)?;
            let per_query_back = match &merger {
                Some(merger) => {
                    let params = [m as u32, n_chunks as u32, keep as u32, 0];
                    let bindings = [
                        lists_out[0],
                        lists_out[1],
                        lists_out[2],
                        results[0],
                        results[1],
                        results[2],
                    ];
                    recorder.dispatch(merger, &params, &bindings, m)?;
                    1
                }
                None => n_chunks,
            };
            let lists_here = m * per_query_back;
            let sizes = [
                lists_here * keep * elem,
                lists_here * keep * 4,
                lists_here * 4,
            ];
            recorder.copy(&keys, sizes[0]);
            recorder.copy(&found, sizes[1]);
            recorder.copy(&counts, sizes[2]);
            // One wait for the dispatches and the three maps.
            recorder.submit_and_map(&[
                (&keys, sizes[0]),
                (&found, sizes[1]),
                (&counts, sizes[2]),
            ])?;
            // Scatter (query, list) lists into the [query][list] layout.
            let at = |i: usize| {
                let (q, c) = (i / per_query_back, i % per_query_back);
                let list = match merge {
                    true => d.upload_index,
                    false => d.list_base + c,
                };
                (query_block.start + first + q) * lists + list
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
