//! k-means++ seeding on resident rows (`shaders/kmeans_seeding.wgsl`): each row's squared
//! distance to its nearest chosen centre stays on the device; per new centre the device lowers
//! it and runs the weighted draws (exponential races) of every trial in one submission, then
//! sums the potential each candidate would leave in another. Only per-chunk winners and sums
//! come back.

use ndarray::{ArrayView1, ArrayView2};

use super::{check_shapes, input_buffer, Recorder};
use crate::pack::pack_rows;
use crate::result_buffer::ResultBuffer;
use crate::{DeviceRows, KernelFloat, Precision, Queue, Readback, Result};

const NAME: &str = "kmeans_seeding";
/// Trials (draws per centre) the kernel takes.
pub const MAX_TRIALS: usize = 16;
/// The widest rows (in vec4s) the kernel takes.
pub const MAX_WIDTH4: usize = 16;

/// Rows each invocation takes: many on a software adapter, few on a GPU.
fn chunk_rows(queue: &Queue) -> usize {
    if queue.info().device_type == "Cpu" {
        256
    } else {
        32
    }
}

/// The state of a seeding over resident rows: each row's squared distance to its nearest
/// centre so far, and the buffers every centre reuses.
pub struct Seeding {
    trials: usize,
    chunk: usize,
    d2: wgpu::Buffer,
    centres: wgpu::Buffer,
    bases: wgpu::Buffer,
    keys: ResultBuffer,
    winners: ResultBuffer,
    /// Each candidate's lowered distances, from the last potentials.
    lowered: wgpu::Buffer,
    /// Whether a centre has been added (the next lowers the distances rather than sets them).
    started: bool,
}

impl Seeding {
    /// Seeding state for `x` with `trials` draws per centre; `None` where the kernel cannot
    /// take them (more than [`MAX_TRIALS`] trials, rows wider than [`MAX_WIDTH4`] vec4s).
    pub fn new(
        queue: &Queue,
        x: &DeviceRows,
        trials: usize,
        readback: Readback,
    ) -> Result<Option<Self>> {
        if trials == 0 || trials > MAX_TRIALS || x.k4 > MAX_WIDTH4 || x.rows() == 0 {
            return Ok(None);
        }
        use wgpu::BufferUsages as U;
        let elem = x.precision().bytes();
        let chunk = chunk_rows(queue);
        let chunks: usize = x.blocks.iter().map(|b| b.rows.div_ceil(chunk)).sum();
        Ok(Some(Self {
            trials,
            chunk,
            d2: queue.storage_buffer("seeding distances", x.rows() * elem, U::STORAGE)?,
            // A uniform buffer: every lane reads the same centre values, which an adapter
            // then loads once for all lanes (a CPU adapter gathers storage loads per lane).
            centres: queue.storage_buffer(
                "seeding centres",
                MAX_TRIALS * MAX_WIDTH4 * 4 * elem,
                U::UNIFORM | U::COPY_DST,
            )?,
            bases: input_buffer(queue, "seeding streams", trials * 8)?,
            keys: ResultBuffer::new(queue, "seeding keys", chunks * trials * elem, readback)?,
            winners: ResultBuffer::new(queue, "seeding winners", chunks * trials * 4, readback)?,
            lowered: queue.storage_buffer(
                "seeding lowered distances",
                trials * x.rows() * elem,
                U::STORAGE,
            )?,
            started: false,
        }))
    }

    /// Adds `centre` (unshifted, `d` values) or the candidate of the last
    /// [`Self::potentials`] with that index: every row's distance to its nearest centre is
    /// lowered to it (set, for the first centre); then, for each stream base of `bases` (at most the
    /// trials), the row of this rank that wins the race with those distances as weights: its
    /// key and its index among this rank's rows, or `None` where every distance is 0.
    /// `offset` is this rank's first global row (the draws' counter is the global row).
    pub fn add_and_draw(
        &mut self,
        queue: &Queue,
        x: &DeviceRows,
        centre: Added<'_>,
        bases: &[u64],
        offset: u64,
    ) -> Result<Vec<Option<(f64, usize)>>> {
        let fits = match centre {
            Added::Centre(c) => c.len() == x.cols(),
            Added::Candidate(t) => self.started && t < self.trials,
        };
        check_shapes(NAME, fits && bases.len() <= self.trials, || {
            format!("a centre ({centre:?}) for {} columns", x.cols())
        })?;
        let (centres, chosen) = match centre {
            Added::Centre(c) => (Some(c.insert_axis(ndarray::Axis(0))), None),
            Added::Candidate(t) => (None, Some(t)),
        };
        let draw = Some((bases, offset, chosen));
        let out = match x.precision() {
            Precision::F32 => self.run::<f32>(queue, x, centres, draw),
            Precision::F64 => self.run::<f64>(queue, x, centres, draw),
        }?;
        self.started = true;
        Ok(out.draws)
    }

    /// The potential each of `candidates` (unshifted rows) would leave over this rank's rows:
    /// $\sum_i \min(d_i^2, \lVert x_i - c \rVert^2)$.
    pub fn potentials(
        &self,
        queue: &Queue,
        x: &DeviceRows,
        candidates: ArrayView2<'_, f64>,
    ) -> Result<Vec<f64>> {
        check_shapes(
            NAME,
            self.started && candidates.ncols() == x.cols() && candidates.nrows() <= self.trials,
            || format!("{} candidates after the first centre", candidates.nrows()),
        )?;
        let out = match x.precision() {
            Precision::F32 => self.run::<f32>(queue, x, Some(candidates), None),
            Precision::F64 => self.run::<f64>(queue, x, Some(candidates), None),
        }?;
        Ok(out.sums)
    }

    fn run<R: KernelFloat>(
        &self,
        queue: &Queue,
        x: &DeviceRows,
        centres: Option<ArrayView2<'_, f64>>,
        draw: Option<(&[u64], u64, Option<usize>)>,
    ) -> Result<Outcome> {
        let (k4, elem) = (x.k4, std::mem::size_of::<R>());
        let trials = match (draw, centres) {
            (Some((bases, _, _)), _) => bases.len(),
            (None, Some(c)) => c.nrows(),
            (None, None) => 0,
        };
        if let Some(centres) = centres {
            let n = centres.nrows();
            let mut packed = vec![R::default(); n * k4 * 4];
            pack_rows(&[centres], Some(x.shift()), 0, n, k4 * 4, &mut packed, None);
            queue.write(&self.centres, 0, bytemuck::cast_slice(&packed));
        }
        let offset = draw.map_or(0, |(_, offset, _)| offset);
        let chosen = draw
            .and_then(|(_, _, chosen)| chosen)
            .map_or(u32::MAX, |t| t as u32);
        if let Some((bases, _, _)) = draw {
            let words: Vec<u32> = bases
                .iter()
                .flat_map(|&b| [b as u32, (b >> 32) as u32])
                .collect();
            queue.write(&self.bases, 0, bytemuck::cast_slice(&words));
        }
        let mode = u32::from(draw.is_none());
        let constants = [
            ("MODE", mode),
            ("WIDTH4", k4 as u32),
            ("TRIALS", trials as u32),
        ];
        let (name, source) = if queue.info().int64 {
            ("kmeans_seeding_int64", crate::shaders::KMEANS_SEEDING_INT64)
        } else {
            (NAME, crate::shaders::KMEANS_SEEDING)
        };
        let pipeline = queue.specialised_pipeline(name, x.precision(), source, &constants)?;
        let mut recorder = Recorder::new(queue);
        let mut chunks_before = 0;
        for block in &x.blocks {
            let chunks = block.rows.div_ceil(self.chunk);
            let params = [
                block.rows as u32,
                block.start as u32,
                self.chunk as u32,
                trials as u32,
                offset as u32,
                (offset >> 32) as u32,
                u32::from(!self.started),
                chunks_before as u32,
                chosen,
                x.rows() as u32,
                0,
                0,
            ];
            recorder.dispatch(
                &pipeline,
                &params,
                &[
                    &block.buffer,
                    &self.centres,
                    &self.bases,
                    &self.d2,
                    self.keys.binding(),
                    self.winners.binding(),
                    &self.lowered,
                ],
                chunks,
            )?;
            chunks_before += chunks;
        }
        let key_bytes = chunks_before * trials * elem;
        recorder.copy(&self.keys, key_bytes);
        let mut out = Outcome {
            draws: vec![None; trials],
            sums: vec![0.0; trials],
        };
        let to_f64 =
            |keys: &[R]| -> Vec<f64> { keys.iter().map(|&k| KernelFloat::to_f64(k)).collect() };
        if draw.is_none() {
            let keys = recorder.submit_and_read(&self.keys, key_bytes, to_f64)?;
            for per_chunk in keys.chunks_exact(trials) {
                out.sums
                    .iter_mut()
                    .zip(per_chunk)
                    .for_each(|(s, v)| *s += v);
            }
            return Ok(out);
        }
        // The keys and their rows, mapped after one wait.
        let row_bytes = chunks_before * trials * 4;
        recorder.copy(&self.winners, row_bytes);
        recorder.submit_and_map(&[(&self.keys, key_bytes), (&self.winners, row_bytes)])?;
        let keys = self.keys.read_mapped(key_bytes, to_f64)?;
        let rows: Vec<u32> = self.winners.read_mapped(row_bytes, <[u32]>::to_vec)?;
        for (per_chunk, rows) in keys.chunks_exact(trials).zip(rows.chunks_exact(trials)) {
            for (t, best) in out.draws.iter_mut().enumerate() {
                let (key, row) = (per_chunk[t], rows[t] as usize);
                // Chunks come in row order, so the first of equal keys is the lowest row.
                if key >= 0.0 && best.is_none_or(|(k, _)| key < k) {
                    *best = Some((key, row));
                }
            }
        }
        Ok(out)
    }
}

/// The centre [`Seeding::add_and_draw`] adds.
#[derive(Debug, Clone, Copy)]
pub enum Added<'a> {
    /// A centre given by its values (unshifted).
    Centre(ArrayView1<'a, f64>),
    /// The candidate of the last [`Seeding::potentials`] with this index.
    Candidate(usize),
}

/// One submission's results: the draws (MODE 0) or the potentials (MODE 1).
struct Outcome {
    draws: Vec<Option<(f64, usize)>>,
    sums: Vec<f64>,
}
