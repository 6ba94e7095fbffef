/// $\sum_i z_i$ and $\sum_i z_i z_i^\top$ over rows $z_i = [x_i, y_i] - s$ of this rank.
#[derive(Debug, Clone, PartialEq)]
pub struct ShiftedGram {
    /// Rows summed.
    pub rows: usize,
    /// Length of $z$.
    pub width: usize,
    /// $\sum_i z_i$ (length `width`).
    pub sums: Vec<f64>,
    /// $\sum_i z_i z_i^\top$, `width` x `width`, row-major, symmetric.
    pub gram: Vec<f64>,
}
