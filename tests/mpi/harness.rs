//! A tiny harness for programs run under `mpirun`: every rank runs every check, the ranks agree
//! on each outcome, and rank 0 prints it and a closing `N passed, M failed` line.
#![allow(dead_code)]

use std::time::Instant;

use spmd_learn::comm::{Comm, ReduceOp};

pub type Check = Result<(), String>;

pub struct Harness {
    pub comm: Comm,
    name: &'static str,
    passed: usize,
    failed: usize,
}

impl Harness {
    /// Opens `Comm::world()` and checks its size against `SPMD_EXPECT_RANKS` (set by the test
    /// script): a launcher from another MPI would give N worlds of size 1 and prove nothing.
    pub fn new(name: &'static str) -> Self {
        let comm = match Comm::world() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{name}: {e}");
                std::process::exit(1);
            }
        };
        if let Ok(expected) = std::env::var("SPMD_EXPECT_RANKS") {
            let expected: usize = expected.parse().expect("SPMD_EXPECT_RANKS is a number");
            if comm.size() != expected {
                eprintln!(
                    "{name}: expected {expected} ranks, world has {}",
                    comm.size()
                );
                std::process::exit(1);
            }
        }
        if comm.is_root() {
            println!("{name}: running on {} rank(s)", comm.size());
        }
        Self {
            comm,
            name,
            passed: 0,
            failed: 0,
        }
    }

    /// Runs `check` on every rank; it passes only if it passed on all of them.
    pub fn run(&mut self, label: &str, check: impl FnOnce(&Comm) -> Check) {
        let start = Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&self.comm)))
            .unwrap_or_else(|p| {
                Err(p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panic".into()))
            });
        let failed_here = u64::from(outcome.is_err());
        let failed_anywhere = self
            .comm
            .allreduce_scalar(failed_here, ReduceOp::Max)
            .unwrap_or(1);
        if let Err(message) = &outcome {
            eprintln!(
                "{}: {label}: rank {}: {message}",
                self.name,
                self.comm.rank()
            );
        }
        if failed_anywhere == 0 {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
        if self.comm.is_root() {
            let status = if failed_anywhere == 0 { "ok" } else { "FAILED" };
            println!("test {label} ... {status} ({:.2?})", start.elapsed());
        }
    }

    /// Prints the closing line and exits with the outcome.
    pub fn finish(self) -> ! {
        if self.comm.is_root() {
            println!(
                "{}: {} passed, {} failed",
                self.name, self.passed, self.failed
            );
        }
        std::process::exit(i32::from(self.failed > 0));
    }
}

/// Row counts for `ranks` ranks summing to `rows`, proportional to `weights(rank)`.
pub fn split_rows(rows: usize, ranks: usize, weights: impl Fn(usize) -> usize) -> Vec<usize> {
    let w: Vec<usize> = (0..ranks).map(&weights).collect();
    let total: usize = w.iter().sum::<usize>().max(1);
    let mut counts: Vec<usize> = w.iter().map(|wi| rows * wi / total).collect();
    let assigned: usize = counts.iter().sum();
    if let Some(last) = (0..ranks).rev().find(|&r| w[r] > 0) {
        counts[last] += rows - assigned;
    }
    counts
}

/// This rank's row range under `counts`.
pub fn my_rows(comm: &Comm, counts: &[usize]) -> std::ops::Range<usize> {
    let start: usize = counts[..comm.rank()].iter().sum();
    start..start + counts[comm.rank()]
}

pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> Check {
    if condition {
        Ok(())
    } else {
        Err(message())
    }
}
