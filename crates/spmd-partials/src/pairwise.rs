/// Chan et al.'s pairwise merge of two sets of rows' statistics, by their row counts (or
/// weights) `a` and `b`: what every mergeable partial (column moments, cross products) shares.
///
/// ```
/// use spmd_partials::Pairwise;
///
/// let merge = Pairwise::of(3.0, 1.0).expect("both have rows");
/// assert_eq!((merge.count, merge.cross, merge.step), (4.0, 0.75, 0.25));
/// assert!(Pairwise::of(0.0, 2.0).is_none() && Pairwise::of(2.0, 0.0).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pairwise {
    /// Rows of the merged set, $n = a + b$.
    pub count: f64,
    /// Weight of the outer product of the mean difference in the merged $M_2$: $a b / n$.
    pub cross: f64,
    /// How far the mean moves towards the second set's: $b / n$.
    pub step: f64,
}

impl Pairwise {
    /// The merge of `a` rows with `b` rows; `None` where either has none (the merge is then
    /// the other set itself).
    pub fn of(a: f64, b: f64) -> Option<Self> {
        if a == 0.0 || b == 0.0 {
            return None;
        }
        let count = a + b;
        Some(Self {
            count,
            cross: a * b / count,
            step: b / count,
        })
    }
}
