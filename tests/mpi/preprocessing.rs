//! The scalers under `mpirun -n 2` and `-n 4`: each rank fits its share of the fixture's rows
//! (uneven, with an empty rank), and every rank's scaler equals scikit-learn's fit of all rows
//! to 1e-12, one-shot and batch by batch, on the CPU and the GPU.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod harness;

use common::preprocessing::{cases, fit_case, weights, worst_error, x};
use harness::{ensure, my_rows, split_rows, Check, Harness};
use ndarray::s;
use spmd_learn::comm::{Comm, ReduceOp};
use spmd_learn::Queue;

fn spmd_equals_sklearn(
    comm: &Comm,
    counts: &[usize],
    queue: Option<&Queue>,
    batched: bool,
) -> Check {
    let (x, w) = (x(), weights());
    let mine = my_rows(comm, counts);
    let (xl, wl) = (x.slice(s![mine.clone(), ..]), w.slice(s![mine.clone()]));
    let n = mine.len();
    let cuts = [0, n / 3, n / 3, n];
    let tol = if queue.is_some_and(|q| !q.info().supports_f64) {
        1e-5
    } else {
        1e-12
    };
    for case in cases() {
        let batches = batched.then_some(&cuts[..]);
        let got = fit_case(&case, comm, queue, xl, Some(wl), batches)?;
        let err = worst_error(&case, &got)?;
        ensure(err < tol, || {
            format!(
                "{}: {err:e} from scikit-learn (counts {counts:?})",
                case.name
            )
        })?;
        // Every rank holds the same scaler, bit for bit.
        let text = got.attributes.to_string();
        let sum: u64 = text.bytes().map(u64::from).sum();
        let lowest = comm
            .allreduce_scalar(sum, ReduceOp::Min)
            .map_err(|e| e.to_string())?;
        let highest = comm
            .allreduce_scalar(sum, ReduceOp::Max)
            .map_err(|e| e.to_string())?;
        ensure(lowest == highest, || {
            format!("{}: ranks hold different scalers", case.name)
        })?;
    }
    Ok(())
}

fn main() {
    let mut h = Harness::new("mpi_preprocessing");
    let p = h.comm.size();
    let queue = Queue::for_tests();
    let rows = x().nrows();
    let uneven = split_rows(rows, p, |r| if r == 0 && p > 1 { 0 } else { r + 1 });

    for (device, q) in [("CPU", None), ("GPU", queue.as_ref())] {
        h.run(&format!("even split equals scikit-learn ({device})"), |c| {
            spmd_equals_sklearn(c, &split_rows(rows, p, |_| 1), q, false)
        });
        h.run(
            &format!("uneven split, rank 0 empty, equals scikit-learn ({device})"),
            |c| spmd_equals_sklearn(c, &uneven, q, false),
        );
        h.run(
            &format!("partial_fit batches (one empty) then finalize ({device})"),
            |c| spmd_equals_sklearn(c, &uneven, q, true),
        );
    }
    h.run("NaN on the last rank fails every rank", |c| {
        use spmd_learn::estimator::{Context, Dataset, Estimator};
        use spmd_learn::preprocessing::StandardScaler;
        let mut xl = x().slice_move(s![my_rows(c, &split_rows(rows, p, |_| 1)), ..]);
        if c.rank() + 1 == c.size() {
            xl[[1, 2]] = f64::NAN;
        }
        let err = StandardScaler::default()
            .fit(Context::cpu(c), &Dataset::new(xl.view()))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        ensure(err.contains("NaN at row 1, column 2"), || {
            format!("got `{err}`")
        })
    });
    h.finish();
}
