//! Progress of long work, on rank 0's terminal only: quiet when stderr is a file or a pipe, and
//! on every other rank.

use std::io::{IsTerminal, Write};

/// A counter shown as `what: done/total` on one line of stderr.
#[derive(Debug)]
pub(crate) struct Progress {
    what: &'static str,
    total: usize,
    done: usize,
    shown: bool,
}

impl Progress {
    /// Progress through `total` steps of `what`, shown when `rank` is 0 and stderr is a
    /// terminal.
    pub fn new(rank: usize, what: &'static str, total: usize) -> Self {
        Self {
            what,
            total,
            done: 0,
            shown: rank == 0 && std::io::stderr().is_terminal(),
        }
    }

    /// `steps` more steps done.
    pub fn advance(&mut self, steps: usize) {
        self.done = (self.done + steps).min(self.total);
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}: {}/{}", self.what, self.done, self.total);
            if self.done == self.total {
                let _ = writeln!(err);
            }
            let _ = err.flush();
        }
    }
}
