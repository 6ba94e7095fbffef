//! The pairs of rows within eps of each other, between this rank's rows and a block.
//!
//! A block is indexed once per visit: its rows sorted by grid cell (side eps, over up to three
//! coordinates where the rows spread over many eps) and stored column by column, so the rows
//! of a cell are compared with a row of this rank a whole vector of candidates at a time.
//! Without a grid every row of the block is a candidate; for the squared differences a faer
//! product of tiles then estimates every pair, and only the pairs whose estimate lies within
//! its rounding bound of eps are computed exactly. Every decision equals the exact one: a key
//! computed here is the same to the last bit as [`Measure::key`]'s (the same terms added in
//! the same order).

use std::collections::HashMap;

use rayon::prelude::*;

use crate::neighbors::metric::Measure;

/// Cell coordinates (unused dimensions 0).
type Cell = [i64; 3];

/// The most grid dimensions (3^3 = 27 neighbouring cells per lookup).
const MAX_GRID_DIMS: usize = 3;
/// A coordinate is gridded when the rows spread over at least this many times eps along it.
const MIN_SPREAD_IN_EPS: f64 = 4.0;
/// Cell coordinates stay exact integers below this.
const MAX_CELL: f64 = 1e15;
/// Candidates compared with a row at once.
const LANES: usize = 256;
/// Rows of this rank per task.
const ROW_TILE: usize = 64;
/// Rows of this rank per tile of the product.
const PRODUCT_ROWS: usize = 256;
/// Block rows per tile of the product.
const PRODUCT_BLOCK_ROWS: usize = 1024;
/// Pairs the product's first test takes at once.
const GROUP: usize = 16;
/// Features from which the product beats the column sweep.
const PRODUCT_MIN_WIDTH: usize = 16;

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
    /// Subtracted from the rows of the product's estimate (the middle of their range).
    centre: Vec<f64>,
}

/// A block's rows, sorted by cell and stored column by column.
pub(crate) struct BlockIndex {
    /// The block row at each sorted position.
    order: Vec<u32>,
    /// `columns[k * n + s]`: feature `k` of the row at sorted position `s`.
    columns: Vec<f64>,
    /// Each cell's range of sorted positions (`None`: no grid, one range of every row).
    cells: Option<HashMap<Cell, (usize, usize)>>,
    /// For the product: the rows less the centre, in f32, row-major, and their squared norms.
    single: Vec<f32>,
    norms: Vec<f64>,
}

impl Finder {
    /// A finder for rows of `width` features spreading over `spread` (max - min per column,
    /// over all ranks) around `centre`, and of largest magnitude `largest`.
    pub(crate) fn new(
        measure: Measure,
        eps: f64,
        (width, centre): (usize, &[f64]),
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
            centre: centre.to_vec(),
        }
    }

    /// `rows` (`width` values each) less the centre, in f32, each followed by `last(norm)`,
    /// and their squared norms.
    fn centred<'a>(
        &self,
        rows: impl Iterator<Item = &'a [f64]>,
        last: impl Fn(f64) -> f64,
    ) -> (Vec<f32>, Vec<f64>) {
        let mut single = Vec::new();
        let mut norms = Vec::new();
        for row in rows {
            let start = single.len();
            single.extend(row.iter().zip(&self.centre).map(|(v, c)| (v - c) as f32));
            let norm = single[start..]
                .iter()
                .map(|&v| f64::from(v) * f64::from(v))
                .sum();
            single.push(last(norm) as f32);
            norms.push(norm);
        }
        (single, norms)
    }

    /// The relative slack of the product's estimate ([`Self::product_pairs`]).
    fn slack(&self) -> f64 {
        8.0 * (self.width as f64 + 8.0) * f64::from(f32::EPSILON)
    }

    /// Features per row.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// eps.
    pub(crate) fn eps(&self) -> f64 {
        self.eps
    }

    /// Whether `row` and the row starting `other` (features first) are within eps, on the
    /// exact key.
    pub(crate) fn within_eps(&self, row: &[f64], other: &[f64]) -> bool {
        self.measure.key(row, &other[..self.width]) <= self.limit
    }

    /// How many coordinates the grid has (0: none).
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

    /// Whether pairs are estimated by a product ([`Self::for_each_within`]).
    fn by_product(&self) -> bool {
        self.dims.is_empty()
            && self.width >= PRODUCT_MIN_WIDTH
            && matches!(self.measure, Measure::Squares { .. })
    }

    /// The index of the rows of `values` (one every `stride` values, features first).
    pub(crate) fn index(&self, values: &[f64], stride: usize) -> BlockIndex {
        let n = values.len().checked_div(stride).unwrap_or(0);
        let row = |r: usize| &values[r * stride..r * stride + self.width];
        let mut order: Vec<u32> = (0..n as u32).collect();
        let mut cells = None;
        if !self.dims.is_empty() {
            let keys: Vec<Cell> = (0..n).map(|r| self.cell(row(r))).collect();
            order.sort_by_key(|&r| (keys[r as usize], r));
            let mut ranges = HashMap::new();
            let mut start = 0;
            for s in 1..=n {
                if s == n || keys[order[s] as usize] != keys[order[start] as usize] {
                    ranges.insert(keys[order[start] as usize], (start, s));
                    start = s;
                }
            }
            cells = Some(ranges);
        }
        let mut columns = vec![0.0; self.width * n];
        let (mut single, mut norms) = (Vec::new(), Vec::new());
        if self.by_product() {
            let shrink = 1.0 - self.slack();
            (single, norms) = self.centred((0..n).map(row), |norm| -shrink * norm / 2.0);
        } else {
            for (s, &r) in order.iter().enumerate() {
                for (k, &v) in row(r as usize).iter().enumerate() {
                    columns[k * n + s] = v;
                }
            }
        }
        BlockIndex {
            order,
            columns,
            cells,
            single,
            norms,
        }
    }

    /// For every row `i` of `rows` (this rank's, `width` values each) and every row `j` of
    /// the block `values` (indexed by `index`) within eps of it, calls `visit(&mut states[i],
    /// j)`. Rows are taken in parallel tiles; a row's visits come in no particular order.
    pub(crate) fn for_each_within<S: Send>(
        &self,
        rows: &[f64],
        (values, stride): (&[f64], usize),
        index: &BlockIndex,
        states: &mut [S],
        visit: impl Fn(&mut S, usize) + Sync,
    ) {
        if self.by_product() {
            return self.product_pairs(rows, (values, stride), index, states, visit);
        }
        let width = self.width;
        states
            .par_chunks_mut(ROW_TILE)
            .enumerate()
            .for_each(|(tile, states)| {
                let mut keys = [0.0; LANES];
                for (t, state) in states.iter_mut().enumerate() {
                    let i = tile * ROW_TILE + t;
                    let row = &rows[i * width..(i + 1) * width];
                    let mut sweep = |(start, end): (usize, usize)| {
                        for lo in (start..end).step_by(LANES) {
                            let hi = (lo + LANES).min(end);
                            let keys = &mut keys[..hi - lo];
                            self.keys(row, index, (lo, hi), keys);
                            for (s, &key) in (lo..hi).zip(keys.iter()) {
                                if key <= self.limit {
                                    visit(state, index.order[s] as usize);
                                }
                            }
                        }
                    };
                    match &index.cells {
                        None => sweep((0, index.order.len())),
                        Some(cells) => {
                            let centre = self.cell(row);
                            let m = self.dims.len();
                            for offset in 0..3_usize.pow(m as u32) {
                                let mut cell = centre;
                                let mut rest = offset;
                                for c in cell.iter_mut().take(m) {
                                    *c += (rest % 3) as i64 - 1;
                                    rest /= 3;
                                }
                                if let Some(&range) = cells.get(&cell) {
                                    sweep(range);
                                }
                            }
                        }
                    }
                }
            });
    }

    /// The keys of `row` against the block rows at sorted positions `lo..hi`, a vector of
    /// candidates at a time (each key's terms added in feature order, as [`Measure::key`]).
    fn keys(&self, row: &[f64], index: &BlockIndex, (lo, hi): (usize, usize), keys: &mut [f64]) {
        let n = index.order.len();
        keys.iter_mut().for_each(|k| *k = 0.0);
        for (k, &x) in row.iter().enumerate() {
            let column = &index.columns[k * n + lo..k * n + hi];
            let pairs = keys.iter_mut().zip(column);
            match self.measure {
                Measure::Squares { .. } => pairs.for_each(|(a, &y)| *a += (x - y) * (x - y)),
                Measure::Manhattan => pairs.for_each(|(a, &y)| *a += (x - y).abs()),
                Measure::Chebyshev => pairs.for_each(|(a, &y)| *a = a.max((x - y).abs())),
                Measure::Power(p) => pairs.for_each(|(a, &y)| *a += (x - y).abs().powf(p)),
                Measure::Cosine => pairs.for_each(|(a, &y)| *a += x * y),
            }
        }
    }

    /// [`Self::for_each_within`] for squared differences without a grid. Tiles of this rank's
    /// rows times tiles of the block's, less the centre and in f32 (faer), each block row `t`
    /// extended by $-(1 - s) \lVert t \rVert^2 / 2$ and each row `q` by 1, give
    /// $p = q \cdot t - (1 - s) \lVert t \rVert^2 / 2$; a pair is outside eps when
    /// $p < ((1 - s) \lVert q \rVert^2 - \epsilon^2) / 2$, one comparison per pair, sixteen
    /// pairs at a time. The slack $s = 8 (w + 8) u$ ($u$ f32's unit roundoff) covers the
    /// product's rounding and the rows' rounding to f32 twice over. The pairs left are decided on $\lVert q \rVert^2 +
    /// \lVert t \rVert^2 - 2 q \cdot t$ where that is clearly inside or outside, and on the
    /// exact sum of the original rows otherwise.
    fn product_pairs<S: Send>(
        &self,
        rows: &[f64],
        (values, stride): (&[f64], usize),
        index: &BlockIndex,
        states: &mut [S],
        visit: impl Fn(&mut S, usize) + Sync,
    ) {
        use faer::linalg::matmul::matmul;
        use faer::{Accum, Mat, MatRef, Par};
        let width = self.width;
        let aug = width + 1;
        let m_all = index.norms.len();
        if m_all == 0 || width == 0 {
            return;
        }
        let slack = self.slack();
        let (local, local_norms) = self.centred(rows.chunks_exact(width), |_| 1.0);
        states
            .par_chunks_mut(PRODUCT_ROWS)
            .enumerate()
            .for_each(|(tile, states)| {
                let first = tile * PRODUCT_ROWS;
                let n = states.len();
                let q = &local[first * aug..(first + n) * aug];
                let q_t = MatRef::from_row_major_slice(q, n, aug).transpose();
                let mut dots = Mat::<f32>::zeros(PRODUCT_BLOCK_ROWS.min(m_all), n);
                for start in (0..m_all).step_by(PRODUCT_BLOCK_ROWS) {
                    let m = PRODUCT_BLOCK_ROWS.min(m_all - start);
                    let block = &index.single[start * aug..(start + m) * aug];
                    let tile_rows = MatRef::from_row_major_slice(block, m, aug);
                    let out = dots.as_mut().subrows_mut(0, m);
                    matmul(out, Accum::Replace, tile_rows, q_t, 1.0, Par::Seq);
                    for (i, state) in states.iter_mut().enumerate() {
                        let Some(column) = dots.col(i).try_as_col_major() else {
                            continue;
                        };
                        let q_norm = local_norms[first + i];
                        let floor = (((1.0 - slack) * q_norm - self.limit) / 2.0) as f32;
                        // Below `floor` by more than f32's rounding of it: outside.
                        let floor = floor - floor.abs() * f32::EPSILON * 2.0;
                        let row = &rows[(first + i) * width..(first + i + 1) * width];
                        let column = &column.as_slice()[..m];
                        for (g, group) in column.chunks(GROUP).enumerate() {
                            if !group.iter().fold(false, |any, &p| any | (p >= floor)) {
                                continue;
                            }
                            for (jj, &p) in (g * GROUP..).zip(group) {
                                if p < floor {
                                    continue;
                                }
                                let j = start + jj;
                                let t_norm = index.norms[j];
                                let scale = q_norm + t_norm;
                                let dot = f64::from(p) + (1.0 - slack) * t_norm / 2.0;
                                let estimate = scale - 2.0 * dot;
                                let bound = slack * scale;
                                if estimate > self.limit + bound {
                                    continue;
                                }
                                let inside = estimate <= self.limit - bound || {
                                    let other = &values[j * stride..j * stride + width];
                                    self.measure.key(row, other) <= self.limit
                                };
                                if inside {
                                    visit(state, j);
                                }
                            }
                        }
                    }
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs_of(finder: &Finder, rows: &[f64], stride: usize) -> Vec<Vec<usize>> {
        let index = finder.index(rows, stride);
        let local: Vec<f64> = rows
            .chunks_exact(stride)
            .flat_map(|r| r[..finder.width].to_vec())
            .collect();
        let mut found = vec![Vec::new(); rows.len() / stride];
        finder.for_each_within(&local, (rows, stride), &index, &mut found, |near, j| {
            near.push(j)
        });
        found.iter_mut().for_each(|near| near.sort_unstable());
        found
    }

    fn brute(finder: &Finder, rows: &[f64], stride: usize) -> Vec<Vec<usize>> {
        let w = finder.width;
        let all: Vec<&[f64]> = rows.chunks_exact(stride).map(|r| &r[..w]).collect();
        all.iter()
            .map(|a| {
                (0..all.len())
                    .filter(|&j| finder.measure.key(a, all[j]) <= finder.limit)
                    .collect()
            })
            .collect()
    }

    /// The grid and the column sweep find exactly the pairs of the per-pair loop, including
    /// pairs at exactly eps across cell boundaries.
    #[test]
    fn the_grid_finds_every_pair_the_loop_finds() {
        let rows: Vec<f64> = (0..400)
            .flat_map(|i| {
                let (a, b) = ((i % 20) as f64 * 0.5, (i / 20) as f64 * 0.5);
                [a, b, ((i * 7) % 13) as f64 * 0.1, 1.0]
            })
            .collect();
        for measure in [
            Measure::Squares { root: true },
            Measure::Manhattan,
            Measure::Chebyshev,
            Measure::Power(3.0),
        ] {
            let grid = Finder::new(measure, 0.5, (3, &[0.0; 3]), &[9.5, 9.5, 1.2], 10.0);
            assert_eq!(grid.grid_dims(), 2);
            let sweep = Finder::new(measure, 0.5, (3, &[0.0; 3]), &[0.0; 3], 10.0);
            let want = brute(&grid, &rows, 4);
            assert_eq!(pairs_of(&grid, &rows, 4), want, "{measure:?}");
            assert_eq!(pairs_of(&sweep, &rows, 4), want, "{measure:?}");
        }
    }

    /// The product decides every pair as the exact sum does, pairs at exactly eps included.
    #[test]
    fn the_product_finds_every_pair_the_loop_finds() {
        let width = 20;
        let rows: Vec<f64> = (0..300)
            .flat_map(|i| (0..width).map(move |k| (((i * 7 + k * 3) % 5) as f64) * 0.5 + 100.0))
            .collect();
        let measure = Measure::Squares { root: true };
        let finder = Finder::new(measure, 1.5, (width, &[101.0; 20]), &[2.0; 20], 102.0);
        assert!(finder.by_product());
        assert_eq!(
            pairs_of(&finder, &rows, width),
            brute(&finder, &rows, width)
        );
    }
}
