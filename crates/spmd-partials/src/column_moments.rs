/// Per-column moments of some rows: enough to merge with other rows exactly (Chan et al.'s
/// pairwise update) and to derive every low-order statistic.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMoments {
    /// Rows.
    pub count: f64,
    /// Column means.
    pub mean: Vec<f64>,
    /// $\sum_i (x_{ij} - \bar x_j)^2$.
    pub m2: Vec<f64>,
    /// Column minima (`+inf` with no rows).
    pub min: Vec<f64>,
    /// Column maxima (`-inf` with no rows).
    pub max: Vec<f64>,
}

impl ColumnMoments {
    /// No rows.
    pub fn empty(width: usize) -> Self {
        Self {
            count: 0.0,
            mean: vec![0.0; width],
            m2: vec![0.0; width],
            min: vec![f64::INFINITY; width],
            max: vec![f64::NEG_INFINITY; width],
        }
    }

    /// From the sums $S = \sum (x - s)$ and $Q = \sum (x - s)^2$ of `count` rows about a shift
    /// $s$: $\bar x = s + S / n$, $M_2 = Q - S^2 / n$.
    pub fn from_shifted_sums(
        count: f64,
        shift: &[f64],
        sums: &[f64],
        squares: &[f64],
        min: Vec<f64>,
        max: Vec<f64>,
    ) -> Self {
        if count == 0.0 {
            return Self::empty(shift.len());
        }
        let mean = shift.iter().zip(sums).map(|(s, t)| s + t / count).collect();
        let m2 = sums
            .iter()
            .zip(squares)
            .map(|(t, q)| (q - t * t / count).max(0.0))
            .collect();
        Self {
            count,
            mean,
            m2,
            min,
            max,
        }
    }

    /// Adds `other`'s rows.
    pub fn merge(&mut self, other: &ColumnMoments) {
        let Some(merge) = crate::Pairwise::of(self.count, other.count) else {
            if self.count == 0.0 {
                *self = other.clone();
            }
            return;
        };
        for j in 0..self.mean.len() {
            let delta = other.mean[j] - self.mean[j];
            self.m2[j] += other.m2[j] + delta * delta * merge.cross;
            self.mean[j] += delta * merge.step;
            self.min[j] = self.min[j].min(other.min[j]);
            self.max[j] = self.max[j].max(other.max[j]);
        }
        self.count = merge.count;
    }
}
