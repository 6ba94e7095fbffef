//! The interface a communicator backend implements. Buffers travel as bytes with a [`ScalarKind`]
//! tag so the trait stays object safe; [`crate::Comm`] offers the typed API on top.

use crate::{ReduceOp, Result, ScalarKind};

pub(crate) trait Backend: Send + Sync {
    fn rank(&self) -> usize;
    fn size(&self) -> usize;
    fn is_mpi(&self) -> bool;

    /// `recv = op over ranks of send`; both slices hold the same number of `kind` elements.
    fn allreduce(&self, kind: ScalarKind, op: ReduceOp, send: &[u8], recv: &mut [u8])
        -> Result<()>;

    /// `recv` = this rank's inclusive-minus-own sum over lower ranks (zero on rank 0).
    fn exclusive_scan_sum(&self, kind: ScalarKind, send: &[u8], recv: &mut [u8]) -> Result<()>;

    /// Every rank receives `root`'s bytes.
    fn broadcast(&self, root: usize, bytes: &mut [u8]) -> Result<()>;

    /// `recv` holds every rank's `send` (all of the same length) in rank order.
    fn allgather(&self, send: &[u8], recv: &mut [u8]) -> Result<()>;

    /// Like `allgather`, with `counts[r]` bytes from rank `r`.
    fn allgatherv(&self, send: &[u8], counts: &[usize], recv: &mut [u8]) -> Result<()>;

    /// Like `allgatherv`, received by `root` alone; `recv` is only written on `root`.
    fn gatherv(&self, root: usize, send: &[u8], counts: &[usize], recv: &mut [u8]) -> Result<()>;

    /// Sends `send_counts[r]` bytes of `send` (laid end to end in rank order) to each rank `r`
    /// and receives `recv_counts[r]` bytes from each rank `r` into `recv`, in rank order.
    fn alltoallv(&self, send: (&[u8], &[usize]), recv: (&mut [u8], &[usize])) -> Result<()>;

    /// Sends `send` to the next rank (rank + 1, wrapping) while receiving the previous rank's
    /// bytes into `recv`, whose length the caller knows.
    fn ring_shift(&self, send: &[u8], recv: &mut [u8]) -> Result<()>;

    fn barrier(&self) -> Result<()>;

    /// A new communicator of the ranks that passed the same `color`, ordered by `key`.
    fn split(&self, color: u32, key: i32) -> Result<std::sync::Arc<dyn Backend>>;
}
