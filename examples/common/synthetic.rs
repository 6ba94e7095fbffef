//! Deterministic synthetic data for the examples: each value is a hash of its global row and
//! column, so every number of ranks sees the same problem.

use ndarray::Array2;
use spmd_learn::comm::Comm;
use spmd_learn::Queue;

/// A uniform value in [-1, 1) for global row `row`, column `col`.
pub fn cell(row: u64, col: u64) -> f64 {
    let mut z = row.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ col.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

/// This rank's `rows` rows of a matrix with `cols` columns (rank r holds global rows
/// `r * rows ..`), transformed per entry by `f(global_row, col, value)`.
pub fn rank_rows(
    comm: &Comm,
    rows: usize,
    cols: usize,
    f: impl Fn(u64, usize, f64) -> f64,
) -> Array2<f64> {
    let first = (comm.rank() * rows) as u64;
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        let row = first + i as u64;
        f(row, j, cell(row, j as u64))
    })
}

/// The options the examples share: rows per rank and the device. (The examples with other
/// defaults or inputs keep their own.)
#[allow(dead_code)]
#[derive(clap::Args)]
pub struct Run {
    /// Rows on each rank.
    #[arg(long, default_value_t = 100_000)]
    pub rows_per_rank: usize,
    /// Compute on the CPU instead of the GPU.
    #[arg(long)]
    pub cpu: bool,
}

#[allow(dead_code)]
impl Run {
    /// The world (one process without mpirun) with logging on, and this rank's GPU (`None`
    /// with `--cpu`).
    pub fn start(&self) -> Result<(Comm, Option<Queue>), Box<dyn std::error::Error>> {
        let comm = Comm::world()?;
        spmd_learn::prelude::init_logging(&comm);
        let queue = if self.cpu { None } else { Some(Queue::new()?) };
        Ok((comm, queue))
    }
}
