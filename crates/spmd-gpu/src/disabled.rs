//! The same API without wgpu (the `gpu` feature off): [`Queue::new`] returns
//! [`Error::Disabled`], so no [`Queue`] or [`DeviceRows`] can exist and no kernel can be called.

use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::{Error, GpuStats, HostFloat, Precision, QueueInfo, QueueOptions, Readback, Result};

/// No value: the types below hold one, so they cannot be built.
#[derive(Debug, Clone, Copy)]
enum Never {}

/// One rank's GPU; in this build (without the `gpu` feature) none can be opened.
#[derive(Debug)]
pub struct Queue {
    never: Never,
}

impl Queue {
    /// Always [`Error::Disabled`] in this build.
    pub fn new() -> Result<Self> {
        Err(Error::Disabled)
    }

    /// Always [`Error::Disabled`] in this build.
    pub fn with_options(_options: QueueOptions) -> Result<Self> {
        Err(Error::Disabled)
    }

    /// What the queue runs on.
    pub fn info(&self) -> &QueueInfo {
        match self.never {}
    }

    /// The queue's number in this process.
    pub fn id(&self) -> u64 {
        match self.never {}
    }

    /// The precision kernels use for host elements `F`.
    pub fn precision_for<F: HostFloat>(&self) -> Precision {
        match self.never {}
    }

    /// Bytes read back through staging buffers.
    pub fn staged_bytes(&self) -> u64 {
        match self.never {}
    }

    /// What this queue has done since it was made.
    pub fn stats(&self) -> GpuStats {
        match self.never {}
    }

    /// Counts what follows under a named phase (see the `gpu` build).
    pub fn phase(&self, _name: &'static str) -> crate::PhaseGuard<'_> {
        match self.never {}
    }

    /// Each phase's traffic so far.
    pub fn phase_stats(&self) -> Vec<(&'static str, GpuStats)> {
        match self.never {}
    }
}

/// Rows kept on a device; none exist in this build.
#[derive(Debug)]
pub struct DeviceRows {
    never: Never,
}

impl DeviceRows {
    /// Unreachable: there is no queue.
    pub fn upload<F: HostFloat>(queue: &Queue, _x: ArrayView2<'_, F>) -> Result<Self> {
        match queue.never {}
    }

    /// Unreachable: there is no queue.
    pub fn upload_shifted<F: HostFloat>(
        queue: &Queue,
        _x: ArrayView2<'_, F>,
        _shift: Option<&[f64]>,
    ) -> Result<Self> {
        match queue.never {}
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        match self.never {}
    }

    /// Columns.
    pub fn cols(&self) -> usize {
        match self.never {}
    }

    /// The shift the rows were uploaded with.
    pub fn shift(&self) -> &[f64] {
        match self.never {}
    }

    /// The precision the rows are stored in.
    pub fn precision(&self) -> Precision {
        match self.never {}
    }
}

/// Stub kernel functions: each takes a [`Queue`] (or rows on one), which cannot exist in this
/// build, so its body is `match queue.never {}`.
macro_rules! unreachable_kernels {
    ($($(#[$doc:meta])* pub fn $name:ident$(<$g:ident: $bound:ident>)?($queue:ident: $qty:ty $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;)*) => {$(
        $(#[$doc])*
        pub fn $name$(<$g: $bound>)?($queue: $qty $(, $arg: $ty)*) -> $ret {
            $(let _ = $arg;)*
            match $queue.never {}
        }
    )*};
}

/// The kernels' entry points; unreachable without a [`Queue`].
#[rustfmt::skip]
pub mod kernels {
    /// $(X - c) s + b$ per column.
    pub mod affine {
        use super::super::*;
        unreachable_kernels! {
            /// Unreachable: there is no queue.
            pub fn affine<F: HostFloat>(queue: &Queue, x: ArrayView2<'_, F>, centre: &[f64], scale: &[f64], offset: &[f64], readback: Readback) -> Result<Array2<f64>>;
        }
    }

    /// Gram matrix and column sums.
    pub mod gram {
        use super::super::*;
        pub use spmd_partials::ShiftedGram;
        unreachable_kernels! {
            /// Unreachable: there is no queue.
            pub fn shifted_gram<F: HostFloat>(queue: &Queue, parts: &[ArrayView2<'_, F>], shift: &[f64], readback: Readback) -> Result<ShiftedGram>;
        }
    }

    /// Column moments.
    pub mod moments {
        use super::super::*;
        pub use spmd_partials::ColumnMoments;
        unreachable_kernels! {
            /// Unreachable: there is no queue.
            pub fn column_moments<F: HostFloat>(queue: &Queue, x: ArrayView2<'_, F>, shift: &[f64], readback: Readback) -> Result<ColumnMoments>;
            /// Unreachable: there is no queue.
            pub fn column_moments_resident(queue: &Queue, x: &DeviceRows, readback: Readback) -> Result<ColumnMoments>;
            /// Unreachable: there is no queue.
            pub fn weighted_column_moments<F: HostFloat>(queue: &Queue, x: ArrayView2<'_, F>, weights: ArrayView1<'_, f64>, shift: &[f64], readback: Readback) -> Result<ColumnMoments>;
        }
    }

    /// $X W$.
    pub mod matmul {
        use super::super::*;
        unreachable_kernels! {
            /// Unreachable: there is no queue.
            pub fn matmul<F: HostFloat>(queue: &Queue, x: ArrayView2<'_, F>, w: ArrayView2<'_, f64>, readback: Readback) -> Result<Array2<f64>>;
            /// Unreachable: there is no queue.
            pub fn matmul_resident(queue: &Queue, x: &DeviceRows, w: ArrayView2<'_, f64>, readback: Readback) -> Result<Array2<f64>>;
        }
    }

    /// $X^\top R$.
    pub mod xt_r {
        use super::super::*;
        unreachable_kernels! {
            /// Unreachable: there is no queue.
            pub fn xt_r(queue: &Queue, x: &DeviceRows, r: ArrayView2<'_, f64>, readback: Readback) -> Result<Array2<f64>>;
        }
    }

    /// k-means++ seeding on resident rows.
    pub mod kmeans_seeding {
        use super::super::*;
        use ndarray::ArrayView1;
        /// Trials (draws per centre) the kernel takes.
        pub const MAX_TRIALS: usize = 16;
        /// The widest rows (in vec4s) the kernel takes.
        pub const MAX_WIDTH4: usize = 16;

        /// The centre a seeding adds.
        #[derive(Debug, Clone, Copy)]
        pub enum Added<'a> {
            /// A centre given by its values.
            Centre(ArrayView1<'a, f64>),
            /// A candidate of the last potentials.
            Candidate(usize),
        }

        /// A seeding's device state; none can be made in this build.
        pub struct Seeding {
            never: Never,
        }

        impl Seeding {
            /// Unreachable: there is no queue.
            pub fn new(queue: &Queue, _x: &DeviceRows, _trials: usize, _r: Readback) -> Result<Option<Self>> {
                match queue.never {}
            }
            /// Unreachable: there is no queue.
            pub fn add_and_draw(&mut self, _q: &Queue, _x: &DeviceRows, _c: Added<'_>, _b: &[u64], _o: u64) -> Result<Vec<Option<(f64, usize)>>> {
                match self.never {}
            }
            /// Unreachable: there is no queue.
            pub fn potentials(&self, _q: &Queue, _x: &DeviceRows, _c: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
                match self.never {}
            }
        }
    }

    /// Logistic regression's objective on resident rows.
    pub mod logistic {
        use super::super::*;
        /// Outputs (classes) the row kernel holds in registers.
        pub const MAX_OUTPUTS: usize = 64;

        /// What an evaluation computes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum LogisticPass {
            /// The loss and its gradient.
            LossGradient = 0,
            /// A Hessian product.
            HessianProduct = 1,
        }

        /// One evaluation's sums.
        #[derive(Debug, Clone, PartialEq)]
        pub struct LogisticSums {
            /// The weighted loss.
            pub loss: f64,
            /// $R^\top X$.
            pub coef: Array2<f64>,
            /// Column sums of $R$.
            pub intercept: Vec<f64>,
        }

        /// A fit's device state; none can be made in this build.
        pub struct LogisticRows {
            never: Never,
        }

        impl LogisticRows {
            /// Unreachable: there is no queue.
            pub fn new(queue: &Queue, _x: &DeviceRows, _labels: &[u32], _weights: Option<&[f64]>, _outputs: usize, _r: Readback) -> Result<Option<Self>> {
                match queue.never {}
            }
            /// Unreachable: there is no queue.
            pub fn evaluate(&self, _q: &Queue, _x: &DeviceRows, _w: (ArrayView2<'_, f64>, &[f64]), _p: LogisticPass) -> Result<LogisticSums> {
                match self.never {}
            }
        }
    }

    /// Random-forest histograms and leaves.
    pub mod forest {
        use super::super::*;
        pub use crate::forest_inputs::{HistogramTask, TreeArrays};

        /// A rank's binned rows on a device; none exist in this build.
        #[derive(Debug)]
        pub struct ForestRows {
            never: Never,
        }

        impl ForestRows {
            /// Unreachable: there is no queue.
            pub fn upload(queue: &Queue, _codes: &[u8], _code_bytes: usize, _rows: usize, _classes: &[u32]) -> Result<Self> {
                match queue.never {}
            }

            /// Unreachable: there are no rows on a device.
            pub fn set_terms(&mut self, _queue: &Queue, _terms: &[i64], _row_width: usize) -> Result<()> {
                match self.never {}
            }
        }

        /// A forest's trees on a device; none exist in this build.
        #[derive(Debug)]
        pub enum DeviceTrees {}

        impl DeviceTrees {
            /// Unreachable: there is no queue.
            pub fn upload(queue: &Queue, _trees: &[TreeArrays<'_>], _cols: usize, _precision: Precision) -> Result<Self> {
                match queue.never {}
            }
        }

        unreachable_kernels! {
            /// Unreachable: there is no queue.
            pub fn histograms(queue: &Queue, data: &ForestRows, node_rows: &[u32], tasks: &[HistogramTask], width: usize, out: &mut [i64]) -> Result<()>;
            /// Unreachable: there is no queue.
            pub fn leaves_of<F: HostFloat>(queue: &Queue, x: ArrayView2<'_, F>, trees: &DeviceTrees, readback: Readback) -> Result<Vec<u32>>;
        }
    }

    /// DBSCAN's pairs of rows and a block of rows.
    pub mod dbscan {
        use super::super::*;
        pub use crate::candidate_lists::CandidateMeasure;
        pub use crate::pair_records::{PairInputs, PairMode, PairRecord, PairRecords};
        /// Runs of block rows each row is compared with.
        pub const WINDOWS: usize = 3;

        /// Unreachable: there is no queue.
        pub fn pair_records(
            queue: &Queue,
            _queries: &DeviceRows,
            _inputs: PairInputs<'_>,
            _kind: (CandidateMeasure, PairMode),
            _caps: (usize, usize),
            _parents: Option<&mut [u32]>,
            _readback: Readback,
        ) -> Result<PairRecords> {
            match queue.never {}
        }
    }

    /// Neighbour candidates of query rows in a block of training rows.
    pub mod neighbors {
        use super::super::*;
        pub use crate::candidate_lists::{CandidateMeasure, Candidates, MAX_KEEP};

        /// Unreachable: there is no queue.
        pub fn candidates(
            queue: &Queue,
            _queries: &DeviceRows,
            _block: ArrayView2<'_, f64>,
            _measure: CandidateMeasure,
            _keep: usize,
            _self_shift: Option<i64>,
            _readback: Readback,
        ) -> Result<Candidates> {
            match queue.never {}
        }

        /// Unreachable: there is no queue.
        pub fn candidates_on_device(
            queue: &Queue,
            _queries: &DeviceRows,
            _training: &DeviceRows,
            _measure: CandidateMeasure,
            _keep: usize,
            _self_shift: Option<i64>,
            _readback: Readback,
        ) -> Result<Candidates> {
            match queue.never {}
        }
    }

    /// Nearest centres and distances to every centre.
    pub mod kmeans {
        use super::super::*;
        /// Clusters a [`LloydStep`] handles on the device.
        pub const MAX_DEVICE_CLUSTERS: usize = 32;

        pub use crate::queue_info::LloydTotals;

        /// Lloyd steps on the device; none can be made in this build.
        pub struct LloydStep {
            never: Never,
        }

        impl LloydStep {
            /// Unreachable: there is no queue.
            pub fn new(queue: &Queue, _x: &DeviceRows, _k: usize, _r: Readback) -> Result<Option<Self>> {
                match queue.never {}
            }
            /// Unreachable: there is no queue.
            pub fn step(&mut self, _q: &Queue, _x: &DeviceRows, _c: ArrayView2<'_, f64>) -> Result<LloydTotals> {
                match self.never {}
            }
            /// Unreachable: there is no queue.
            pub fn labels(&self, _q: &Queue, _x: &DeviceRows) -> Result<Vec<u32>> {
                match self.never {}
            }
            /// Unreachable: there is no queue.
            pub fn inertia(&self, _q: &Queue, _x: &DeviceRows, _c: ArrayView2<'_, f64>) -> Result<f64> {
                match self.never {}
            }
        }

        unreachable_kernels! {
            /// Unreachable: there is no queue.
            pub fn assign<F: HostFloat>(queue: &Queue, x: ArrayView2<'_, F>, centres: ArrayView2<'_, f64>, shift: &[f64], readback: Readback) -> Result<Vec<u32>>;
            /// Unreachable: there is no queue.
            pub fn assign_resident(queue: &Queue, x: &DeviceRows, centres: ArrayView2<'_, f64>, readback: Readback) -> Result<Vec<u32>>;
            /// Unreachable: there is no queue.
            pub fn squared_distances<F: HostFloat>(queue: &Queue, x: ArrayView2<'_, F>, centres: ArrayView2<'_, f64>, shift: &[f64], readback: Readback) -> Result<Array2<f64>>;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_a_queue_says_the_build_has_no_gpu_support() {
        let err = Queue::new()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("built without GPU support"), "{err}");
    }
}
