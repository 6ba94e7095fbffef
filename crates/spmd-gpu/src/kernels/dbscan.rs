//! DBSCAN's pairs of this rank's rows (on the device) and a block of rows
//! (`shaders/dbscan_pairs.wgsl`): per row and chunk of the block, the rows certainly within
//! eps summed (weights) or reduced to their distinct components, and the rows whose device key
//! is too close to eps to decide, listed for the host.

use super::pair_chunks::{each_dispatch, plan, ChunkRows, Training, Upload, SIDE_BY_SIDE_LANES};
use super::{check_shapes, input_buffer, Recorder};
pub use crate::candidate_lists::CandidateMeasure;
pub use crate::pair_records::{PairInputs, PairMode, PairRecord, PairRecords};
use crate::result_buffer::ResultBuffer;
use crate::{DeviceRows, KernelFloat, Precision, Queue, Readback, Result};

const NAME: &str = "dbscan_pairs";
/// Runs of block rows each row is compared with (`WINDOWS` in `dbscan_pairs.wgsl`).
pub const WINDOWS: usize = 3;
/// The most distinct values a record holds (`MAX_COMP_CAP`).
const MAX_COMP_CAP: usize = 16;
/// The fewest block rows per chunk: one chunk per upload, so that every invocation scans its
/// row's whole window, and the lanes running side by side (neighbouring rows, sorted alike)
/// scan windows of much the same length.
const MIN_CHUNK_ROWS: usize = usize::MAX / 2;
/// The widest rows (in vec4s) the kernel keeps in registers.
const MAX_CACHED_WIDTH4: usize = 16;
/// Block rows per upload on a software adapter.
const DEFAULT_BLOCK_ROWS: usize = 1 << 16;

/// The records of every row of `queries` against the rows of `block`: `limits[i]` bounds row
/// `i`'s keys (at or below `.0` certainly within eps, above `.1` certainly not; the host rounds
/// them outwards), `windows[WINDOWS * i..][..WINDOWS]` the runs of block rows `[start, end)`
/// row `i` is compared with (the others the caller knows to be beyond eps; empty runs are
/// `(0, 0)`), `extra[j]` is block row `j`'s weight (count
/// mode), component (components mode, 0 for rows that are not core) or core flag (union
/// mode). Measures: squares, absolute, largest.
///
/// In union mode the block is the query rows themselves, in the same order, and `parents`
/// (a union-find over them whose roots are their smallest members) is updated with the core
/// pairs certainly within eps.
pub fn pair_records(
    queue: &Queue,
    queries: &DeviceRows,
    inputs: PairInputs<'_>,
    (measure, mode): (CandidateMeasure, PairMode),
    (band_cap, comp_cap): (usize, usize),
    parents: Option<&mut [u32]>,
    readback: Readback,
) -> Result<PairRecords> {
    let PairInputs {
        block,
        limits,
        windows,
        extra,
    } = inputs;
    check_shapes(NAME, measure != CandidateMeasure::Cosine, || {
        "the pair kernel takes squares, absolute or largest differences".into()
    })?;
    check_shapes(NAME, block.ncols() == queries.cols(), || {
        format!("rows of {} and {} columns", queries.cols(), block.ncols())
    })?;
    check_shapes(
        NAME,
        limits.len() == queries.rows()
            && windows.len() == queries.rows() * WINDOWS
            && extra.len() == block.nrows(),
        || "one limit and window per row and one extra value per block row".into(),
    )?;
    let union = mode == PairMode::Union;
    check_shapes(
        NAME,
        union == parents.is_some()
            && (!union || block.nrows() == queries.rows())
            && parents.as_ref().is_none_or(|p| p.len() == block.nrows())
            && comp_cap <= MAX_COMP_CAP,
        || {
            format!(
                "the union mode takes the rows themselves as the block and one parent per \
                 row; at most {MAX_COMP_CAP} values per record"
            )
        },
    )?;
    let kind = (measure, mode, band_cap, comp_cap);
    match queries.precision() {
        Precision::F32 => run::<f32>(queue, queries, inputs, kind, parents, readback),
        Precision::F64 => run::<f64>(queue, queries, inputs, kind, parents, readback),
    }
}

/// `value` rounded towards `down` (or up) in `R`.
fn rounded<R: KernelFloat>(value: f64, down: bool) -> R {
    let r = R::from_f64(value);
    let off = if down {
        r.to_f64() > value
    } else {
        r.to_f64() < value
    };
    if !off {
        return r;
    }
    // One step of R's precision outwards.
    let step = value.abs()
        * if std::mem::size_of::<R>() == 4 {
            1.2e-7
        } else {
            2.3e-16
        };
    R::from_f64(if down { value - step } else { value + step })
}

fn run<R: KernelFloat>(
    queue: &Queue,
    queries: &DeviceRows,
    PairInputs {
        block,
        limits,
        windows,
        extra,
    }: PairInputs<'_>,
    (measure, mode, band_cap, comp_cap): (CandidateMeasure, PairMode, usize, usize),
    parents: Option<&mut [u32]>,
    readback: Readback,
) -> Result<PairRecords> {
    let elem = std::mem::size_of::<R>();
    let (n_queries, rows, k4) = (queries.rows(), block.nrows(), queries.k4);
    let upload_rows = queue.block_rows(k4 * 4 * elem, DEFAULT_BLOCK_ROWS);
    let whole_uploads = ChunkRows {
        min: MIN_CHUNK_ROWS,
        max: usize::MAX,
    };
    let training = Training::Host(block);
    let pieces = training.pieces(upload_rows);
    let (uploads, chunks) = plan(&pieces, (n_queries, 1), whole_uploads);
    // Each lane counts its own loop iterations; the lanes running side by side (8 on
    // llvmpipe) each add their inner loops to the shared count.
    let budget = queue
        .loop_budget()
        .map_or(0, |b| b / (1 + SIDE_BY_SIDE_LANES));
    let lists = chunks.len();
    let size = 3 + band_cap + comp_cap;
    let mut out = PairRecords {
        chunks,
        band_cap,
        comp_cap,
        records: vec![0; n_queries * lists * size],
    };
    if n_queries == 0 || rows == 0 {
        return Ok(out);
    }
    let width = if k4 <= MAX_CACHED_WIDTH4 {
        k4 as u32
    } else {
        0
    };
    let constants = [
        ("MEASURE", measure as u32),
        ("MODE", mode as u32),
        ("ROW_WIDTH4", width),
    ];
    let source = crate::shaders::DBSCAN_PAIRS;
    let pipeline = queue.specialised_pipeline(NAME, queries.precision(), source, &constants)?;
    let bounds: Vec<R> = limits
        .iter()
        .flat_map(|&(lo, hi)| [rounded::<R>(lo, true), rounded::<R>(hi, false)])
        .collect();
    let window_words: Vec<u32> = windows.iter().flat_map(|&(a, b)| [a, b]).collect();
    // Each resident query block's bounds and windows, written once.
    let per_block = |values: &[u32], words: usize, label| {
        queries
            .blocks
            .iter()
            .map(|query_block| {
                let part = &values[query_block.start * words..][..query_block.rows * words];
                let buffer = input_buffer(queue, label, std::mem::size_of_val(part))?;
                queue.write(&buffer, 0, bytemuck::cast_slice(part));
                Ok(buffer)
            })
            .collect::<Result<Vec<_>>>()
    };
    let bounds_buffers = queries
        .blocks
        .iter()
        .map(|query_block| {
            let rows = &bounds[query_block.start * 2..(query_block.start + query_block.rows) * 2];
            let buffer = input_buffer(queue, "dbscan bounds", std::mem::size_of_val(rows))?;
            queue.write(&buffer, 0, bytemuck::cast_slice(rows));
            Ok(buffer)
        })
        .collect::<Result<Vec<_>>>()?;
    let window_buffers = per_block(&window_words, 2 * WINDOWS, "dbscan windows")?;
    let largest_chunks = uploads.iter().map(|u| u.chunks).max().unwrap_or(1);
    // Every block row's value, written once (kernels index them by block row).
    let extra_buffer = input_buffer(queue, "dbscan extra", rows * 4)?;
    queue.write(&extra_buffer, 0, bytemuck::cast_slice(extra));
    let parent_bytes = parents.as_ref().map_or(4, |p| p.len() * 4);
    let parent_buffer = queue.storage_buffer(
        "dbscan parents",
        parent_bytes,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
    )?;
    if let Some(p) = parents.as_deref() {
        queue.write(&parent_buffer, 0, bytemuck::cast_slice(p));
    }
    let per_query = largest_chunks * size * 4;
    let slice = queue.binding_rows(per_query).clamp(1, n_queries);
    let records = ResultBuffer::new(queue, "dbscan records", slice * per_query, readback)?;
    let no_upload_work = |_: &Upload| Ok(());
    each_dispatch::<R>(
        queue,
        queries,
        training,
        (&uploads, slice),
        no_upload_work,
        |d| {
            let (start, n_chunks) = (d.upload.start, d.upload.chunks);
            let (query_block, first, m) = (d.query_block, d.first, d.rows);
            let params = [
                m as u32,
                d.upload.rows as u32,
                k4 as u32,
                n_chunks as u32,
                d.upload.chunk_rows as u32,
                first as u32,
                band_cap as u32,
                comp_cap as u32,
                start as u32,
                query_block.start as u32,
                budget as u32,
                0,
            ];
            let mut recorder = Recorder::new(queue);
            let bindings = [
                &query_block.buffer,
                d.training,
                &bounds_buffers[d.query_block_index],
                &extra_buffer,
                records.binding(),
                &window_buffers[d.query_block_index],
                &parent_buffer,
            ];
            recorder.dispatch(&pipeline, &params, &bindings, m * n_chunks)?;
            let bytes = m * n_chunks * size * 4;
            recorder.copy(&records, bytes);
            recorder.submit_and_wait()?;
            records.read::<u32, _>(queue, bytes, |got| {
                for (i, record) in got.chunks_exact(size).enumerate() {
                    let (q, c) = (i / n_chunks, i % n_chunks);
                    let at = ((query_block.start + first + q) * lists + d.list_base + c) * size;
                    let to = &mut out.records[at..at + size];
                    to.copy_from_slice(record);
                    // Upload rows to block rows.
                    let band = (to[1] as usize).min(band_cap);
                    to[3..3 + band].iter_mut().for_each(|r| *r += start as u32);
                }
            })
        },
    )?;
    if let Some(parents) = parents {
        let bytes = parents.len() * 4;
        let out = ResultBuffer::copy_target(queue, "dbscan parents out", bytes)?;
        let mut recorder = Recorder::new(queue);
        recorder.copy_buffer(&parent_buffer, out.binding(), bytes);
        recorder.submit_and_wait()?;
        out.read::<u32, _>(queue, bytes, |got| parents.copy_from_slice(got))?;
    }
    Ok(out)
}
