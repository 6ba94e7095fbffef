//! The pairs of rows within eps of each other, between this rank's rows and a block: a grid
//! over up to three coordinates where the rows spread far beyond eps, every pair otherwise.

use std::collections::HashMap;

use crate::neighbors::metric::Measure;

/// Cell coordinates (unused dimensions 0).
type Cell = [i64; 3];

/// The most grid dimensions (3^3 = 27 neighbouring cells per lookup).
const MAX_GRID_DIMS: usize = 3;
/// A coordinate is gridded when the rows spread over at least this many times eps along it.
const MIN_SPREAD_IN_EPS: f64 = 4.0;
/// Cell coordinates stay exact integers below this.
const MAX_CELL: f64 = 1e15;

/// How pairs are found: the coordinates of the grid (empty: every pair), chosen from the
/// global spread of each column, the same on every rank.
#[derive(Debug, Clone)]
pub(crate) struct Finder {
    pub measure: Measure,
    /// Reduced eps: a pair is within eps when its key is at most this.
    pub limit: f64,
    eps: f64,
    dims: Vec<usize>,
    width: usize,
}

impl Finder {
    /// A finder for rows of `width` features spreading over `spread` (max - min per column,
    /// over all ranks) and of largest magnitude `largest`.
    pub(crate) fn new(
        measure: Measure,
        eps: f64,
        width: usize,
        spread: &[f64],
        largest: f64,
    ) -> Self {
        let limit = match measure {
            Measure::Squares { .. } => eps * eps,
            Measure::Power(p) => eps.powf(p),
            _ => eps,
        };
        let mut dims: Vec<usize> = (0..width)
            .filter(|&j| spread[j] >= MIN_SPREAD_IN_EPS * eps)
            .collect();
        dims.sort_by(|&a, &b| spread[b].total_cmp(&spread[a]).then(a.cmp(&b)));
        dims.truncate(MAX_GRID_DIMS);
        if largest / eps >= MAX_CELL {
            dims.clear();
        }
        Self {
            measure,
            limit,
            eps,
            dims,
            width,
        }
    }

    /// Whether a grid is used, and over how many coordinates.
    pub(crate) fn grid_dims(&self) -> usize {
        self.dims.len()
    }

    fn cell(&self, row: &[f64]) -> Cell {
        let mut cell = [0; 3];
        for (c, &j) in cell.iter_mut().zip(&self.dims) {
            *c = (row[j] / self.eps).floor() as i64;
        }
        cell
    }

    /// An index of the rows of `values` (one every `stride` values, features first).
    pub(crate) fn index(&self, values: &[f64], stride: usize) -> BlockIndex {
        if self.dims.is_empty() || stride == 0 {
            return BlockIndex { cells: None };
        }
        let mut cells: HashMap<Cell, Vec<u32>> = HashMap::new();
        for (r, row) in values.chunks_exact(stride).enumerate() {
            cells.entry(self.cell(row)).or_default().push(r as u32);
        }
        BlockIndex { cells: Some(cells) }
    }

    /// Calls `visit(j)` for every row `j` of `values` (indexed by `index`) within eps of `row`,
    /// in no particular order. Every |a_j - b_j| is at most the distance for these metrics, so
    /// rows more than one cell away along a gridded coordinate are never within eps.
    pub(crate) fn within(
        &self,
        row: &[f64],
        (values, stride): (&[f64], usize),
        index: &BlockIndex,
        mut visit: impl FnMut(usize),
    ) {
        let mut check = |j: usize| {
            let other = &values[j * stride..j * stride + self.width];
            if self
                .measure
                .key_within(row, other, self.limit)
                .is_some_and(|key| key <= self.limit)
            {
                visit(j);
            }
        };
        let Some(cells) = &index.cells else {
            for j in 0..values.len() / stride.max(1) {
                check(j);
            }
            return;
        };
        let centre = self.cell(row);
        let m = self.dims.len();
        for offset in 0..3_usize.pow(m as u32) {
            let mut cell = centre;
            let mut rest = offset;
            for c in cell.iter_mut().take(m) {
                *c += (rest % 3) as i64 - 1;
                rest /= 3;
            }
            if let Some(rows) = cells.get(&cell) {
                for &j in rows {
                    check(j as usize);
                }
            }
        }
    }
}

/// The rows of a block by grid cell (`None`: no grid, every row is a candidate).
pub(crate) struct BlockIndex {
    cells: Option<HashMap<Cell, Vec<u32>>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grid finds exactly the pairs the full sweep finds, including pairs at exactly eps
    /// across cell boundaries.
    #[test]
    fn the_grid_finds_every_pair_the_sweep_finds() {
        let rows: Vec<f64> = (0..400)
            .flat_map(|i| {
                let (a, b) = ((i % 20) as f64 * 0.5, (i / 20) as f64 * 0.5);
                [a, b, ((i * 7) % 13) as f64 * 0.1]
            })
            .collect();
        for measure in [
            Measure::Squares { root: true },
            Measure::Manhattan,
            Measure::Chebyshev,
        ] {
            let spread = [9.5, 9.5, 1.2];
            let grid = Finder::new(measure, 0.5, 3, &spread, 10.0);
            assert_eq!(grid.grid_dims(), 2);
            let sweep = Finder::new(measure, 0.5, 3, &[0.0; 3], 10.0);
            let (gi, si) = (grid.index(&rows, 3), sweep.index(&rows, 3));
            for row in rows.chunks_exact(3) {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                grid.within(row, (&rows, 3), &gi, |j| a.push(j));
                sweep.within(row, (&rows, 3), &si, |j| b.push(j));
                a.sort_unstable();
                assert_eq!(a, b, "{measure:?}");
            }
        }
    }
}
