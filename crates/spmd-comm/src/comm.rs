use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use crate::backend::Backend;
use crate::single::SingleProcess;
use crate::stats::{Collective, CommStats, Counters};
use crate::{Error, ReduceOp, Result, Scalar};

/// A communicator: this process's view of the ranks that cooperate in one fit.
///
/// Cheap to clone (it holds an `Arc`). All collectives must be called by every rank of the
/// communicator in the same order; estimators guarantee this by calling [`Comm::agree`] before any
/// collective that a local failure could skip.
#[derive(Clone)]
pub struct Comm {
    backend: Arc<dyn Backend>,
    counters: Arc<Counters>,
}

impl fmt::Debug for Comm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Comm")
            .field("rank", &self.rank())
            .field("size", &self.size())
            .field("mpi", &self.is_mpi())
            .finish()
    }
}

impl Comm {
    pub(crate) fn from_backend(backend: Arc<dyn Backend>) -> Self {
        Self {
            backend,
            counters: Arc::default(),
        }
    }

    /// What this communicator, its clones and the communicators split from it have exchanged
    /// on this rank so far ([`CommStats`]; its `Display` is the line `SPMD_COMM_STATS=1`
    /// prints).
    pub fn stats(&self) -> CommStats {
        self.counters.snapshot(self.rank(), self.size())
    }

    /// Runs `call`, one collective of `kind` moving `bytes` (sent, received), and counts it.
    fn counted<R>(
        &self,
        kind: Collective,
        bytes: (usize, usize),
        call: impl FnOnce() -> Result<R>,
    ) -> Result<R> {
        let start = Instant::now();
        let out = call();
        self.counters.add(kind, bytes, start.elapsed());
        out
    }

    /// A communicator of this process alone (rank 0 of 1), whatever the environment says.
    pub fn single() -> Self {
        Self::from_backend(Arc::new(SingleProcess))
    }

    /// Wraps a communicator the program created with rsmpi, so spmd-learn is not tied to
    /// `MPI_COMM_WORLD`. MPI must stay initialised while the returned `Comm` is used.
    #[cfg(feature = "mpi")]
    pub fn from_mpi(comm: ::mpi::topology::SimpleCommunicator) -> Self {
        Self::from_backend(Arc::new(crate::mpi::MpiComm::new(comm)))
    }

    /// This process's rank, `0..size`.
    pub fn rank(&self) -> usize {
        self.backend.rank()
    }

    /// Number of ranks.
    pub fn size(&self) -> usize {
        self.backend.size()
    }

    /// Whether this is rank 0, the rank that writes files and speaks in logs.
    pub fn is_root(&self) -> bool {
        self.rank() == 0
    }

    /// Whether collectives go through an MPI library.
    pub fn is_mpi(&self) -> bool {
        self.backend.is_mpi()
    }

    /// `recv[i] = op over all ranks of send[i]`.
    pub fn allreduce<T: Scalar>(&self, send: &[T], recv: &mut [T], op: ReduceOp) -> Result<()> {
        if send.len() != recv.len() {
            return Err(Error::BufferSize {
                op: "allreduce",
                message: format!("send has {} elements, receive {}", send.len(), recv.len()),
            });
        }
        let bytes = std::mem::size_of_val(send);
        self.counted(Collective::Allreduce, (bytes, bytes), || {
            self.backend.allreduce(
                T::KIND,
                op,
                bytemuck::cast_slice(send),
                bytemuck::cast_slice_mut(recv),
            )
        })
    }

    /// Allreduce into the same buffer (MPI's `MPI_IN_PLACE`; the send side is a copy).
    pub fn allreduce_in_place<T: Scalar>(&self, buf: &mut [T], op: ReduceOp) -> Result<()> {
        let send = buf.to_vec();
        self.allreduce(&send, buf, op)
    }

    /// Allreduce of one value.
    pub fn allreduce_scalar<T: Scalar>(&self, value: T, op: ReduceOp) -> Result<T> {
        let mut out = [value];
        self.allreduce(&[value], &mut out, op)?;
        Ok(out[0])
    }

    /// Sum of `value` over the ranks below this one (zero on rank 0): the global offset of this
    /// rank's first row when `value` is its row count.
    pub fn exclusive_scan_sum<T: Scalar>(&self, value: T) -> Result<T> {
        let mut out = [value];
        let bytes = std::mem::size_of::<T>();
        self.counted(Collective::Scan, (bytes, bytes), || {
            self.backend.exclusive_scan_sum(
                T::KIND,
                bytemuck::cast_slice(&[value]),
                bytemuck::cast_slice_mut(&mut out),
            )
        })?;
        Ok(out[0])
    }

    /// Every rank's `buf` becomes `root`'s `buf`; all ranks pass buffers of the same length.
    pub fn broadcast<T: Scalar>(&self, root: usize, buf: &mut [T]) -> Result<()> {
        self.check_rank(root)?;
        self.broadcast_raw(root, bytemuck::cast_slice_mut(buf))
    }

    fn broadcast_raw(&self, root: usize, bytes: &mut [u8]) -> Result<()> {
        let n = bytes.len();
        let moved = if self.rank() == root { (n, 0) } else { (0, n) };
        self.counted(Collective::Broadcast, moved, || {
            self.backend.broadcast(root, bytes)
        })
    }

    /// Broadcast of a byte string whose length only `root` knows.
    pub fn broadcast_bytes(&self, root: usize, bytes: Vec<u8>) -> Result<Vec<u8>> {
        self.check_rank(root)?;
        let mut len = [bytes.len() as u64];
        self.broadcast(root, &mut len)?;
        let mut buf = if self.rank() == root {
            bytes
        } else {
            vec![0_u8; len[0] as usize]
        };
        self.broadcast_raw(root, &mut buf)?;
        Ok(buf)
    }

    /// Every rank's `send` (same length on all ranks), concatenated in rank order.
    pub fn allgather<T: Scalar>(&self, send: &[T]) -> Result<Vec<T>> {
        let mut recv = vec![T::zeroed(); send.len() * self.size()];
        let bytes = std::mem::size_of_val(send);
        let others = bytes * (self.size() - 1);
        self.counted(Collective::Allgather, (bytes, others), || {
            self.backend.allgather(
                bytemuck::cast_slice(send),
                bytemuck::cast_slice_mut(&mut recv),
            )
        })?;
        Ok(recv)
    }

    /// Every rank's `send` (any length), concatenated in rank order, with each rank's count.
    pub fn allgatherv<T: Scalar>(&self, send: &[T]) -> Result<(Vec<T>, Vec<usize>)> {
        let counts: Vec<usize> = self
            .allgather(&[send.len() as u64])?
            .into_iter()
            .map(|c| c as usize)
            .collect();
        let total: usize = counts.iter().sum();
        if total == 0 {
            // Nothing to move (some MPIs refuse a gather whose buffers are all empty).
            return Ok((Vec::new(), counts));
        }
        let mut recv = vec![T::zeroed(); total];
        let size = std::mem::size_of::<T>();
        let byte_counts: Vec<usize> = counts.iter().map(|c| c * size).collect();
        let bytes = std::mem::size_of_val(send);
        let others = total * size - bytes;
        self.counted(Collective::Allgatherv, (bytes, others), || {
            self.backend.allgatherv(
                bytemuck::cast_slice(send),
                &byte_counts,
                bytemuck::cast_slice_mut(&mut recv),
            )
        })?;
        Ok((recv, counts))
    }

    /// Every rank's `send` (any length), concatenated in rank order on `root` alone, with each
    /// rank's count; other ranks receive `None`. Memory: only `root` holds the whole.
    pub fn gatherv<T: Scalar>(
        &self,
        root: usize,
        send: &[T],
    ) -> Result<Option<(Vec<T>, Vec<usize>)>> {
        let counts: Vec<usize> = self
            .allgather(&[send.len() as u64])?
            .into_iter()
            .map(|c| c as usize)
            .collect();
        let is_root = self.rank() == root;
        if counts.iter().all(|&c| c == 0) {
            // Nothing to move (some MPIs refuse a gather whose buffers are all empty).
            return Ok(is_root.then_some((Vec::new(), counts)));
        }
        let total: usize = if is_root { counts.iter().sum() } else { 0 };
        let mut recv = vec![T::zeroed(); total];
        let size = std::mem::size_of::<T>();
        let byte_counts: Vec<usize> = counts.iter().map(|c| c * size).collect();
        let bytes = std::mem::size_of_val(send);
        let others = if is_root { total * size - bytes } else { 0 };
        self.counted(Collective::Gatherv, (bytes, others), || {
            self.backend.gatherv(
                root,
                bytemuck::cast_slice(send),
                &byte_counts,
                bytemuck::cast_slice_mut(&mut recv),
            )
        })?;
        Ok(is_root.then_some((recv, counts)))
    }

    /// Sends each rank its part of `send`: `counts[r]` elements to rank `r`, the parts laid end
    /// to end in rank order. Returns what every rank sent this one, in rank order, with each
    /// rank's count. Every rank calls it; with one rank it returns `send`.
    ///
    /// ```
    /// let comm = spmd_comm::Comm::single();
    /// let (got, counts) = comm.alltoallv(&[1_u64, 2, 3], &[3])?;
    /// assert_eq!((got, counts), (vec![1, 2, 3], vec![3]));
    /// # Ok::<(), spmd_comm::Error>(())
    /// ```
    pub fn alltoallv<T: Scalar>(
        &self,
        send: &[T],
        counts: &[usize],
    ) -> Result<(Vec<T>, Vec<usize>)> {
        let size = self.size();
        if counts.len() != size || counts.iter().sum::<usize>() != send.len() {
            return Err(Error::BufferSize {
                op: "alltoallv",
                message: format!(
                    "{} counts summing to {} for {size} ranks and {} elements",
                    counts.len(),
                    counts.iter().sum::<usize>(),
                    send.len()
                ),
            });
        }
        let start = Instant::now();
        let elem = std::mem::size_of::<T>();
        // Each rank's count first (8 bytes to and from every rank), then the parts.
        let outgoing: Vec<u64> = counts.iter().map(|&c| c as u64).collect();
        let mut incoming = vec![0_u64; size];
        let eights = vec![8; size];
        let mut recv = Vec::new();
        let mut recv_counts = Vec::new();
        let out = self
            .backend
            .alltoallv(
                (bytemuck::cast_slice(&outgoing), &eights),
                (bytemuck::cast_slice_mut(&mut incoming), &eights),
            )
            .and_then(|()| {
                recv_counts = incoming.iter().map(|&c| c as usize).collect();
                recv = vec![T::zeroed(); recv_counts.iter().sum()];
                let send_bytes: Vec<usize> = counts.iter().map(|c| c * elem).collect();
                let recv_bytes: Vec<usize> = recv_counts.iter().map(|c| c * elem).collect();
                self.backend.alltoallv(
                    (bytemuck::cast_slice(send), &send_bytes),
                    (bytemuck::cast_slice_mut(&mut recv), &recv_bytes),
                )
            });
        let me = self.rank();
        let others = |all: &[usize]| -> usize {
            all.iter()
                .enumerate()
                .filter(|&(r, _)| r != me)
                .map(|(_, c)| 8 + c * elem)
                .sum()
        };
        let bytes = (others(counts), others(&recv_counts));
        self.counters
            .add(Collective::Alltoallv, bytes, start.elapsed());
        out.map(|()| (recv, recv_counts))
    }

    /// Passes `send` one step around the ring of ranks: this rank's `send` goes to rank + 1
    /// (the last rank's to rank 0) and the previous rank's arrives here, of any length. Every
    /// rank calls it; with one rank it returns a copy.
    ///
    /// ```
    /// let comm = spmd_comm::Comm::single();
    /// assert_eq!(comm.ring_shift(&[1.0_f64, 2.0])?, vec![1.0, 2.0]);
    /// # Ok::<(), spmd_comm::Error>(())
    /// ```
    pub fn ring_shift<T: Scalar>(&self, send: &[T]) -> Result<Vec<T>> {
        let start = Instant::now();
        let mut len = [0_u64];
        let mut recv = Vec::new();
        let out = self
            .backend
            .ring_shift(
                bytemuck::cast_slice(&[send.len() as u64]),
                bytemuck::cast_slice_mut(&mut len),
            )
            .and_then(|()| {
                recv = vec![T::zeroed(); len[0] as usize];
                self.backend.ring_shift(
                    bytemuck::cast_slice(send),
                    bytemuck::cast_slice_mut(&mut recv),
                )
            });
        // The length and the block, counted as one step.
        let bytes = (
            8 + std::mem::size_of_val(send),
            8 + std::mem::size_of_val(&recv[..]),
        );
        self.counters
            .add(Collective::RingStep, bytes, start.elapsed());
        out.map(|()| recv)
    }

    /// Waits until every rank has reached the barrier.
    pub fn barrier(&self) -> Result<()> {
        self.counted(Collective::Barrier, (0, 0), || self.backend.barrier())
    }

    /// Splits the ranks into communicators of equal `color`, ranked by `key` (ties by old rank).
    /// Collective: every rank calls it.
    pub fn split(&self, color: u32, key: i32) -> Result<Comm> {
        let backend = self.counted(Collective::Split, (0, 0), || self.backend.split(color, key))?;
        Ok(Self {
            backend,
            counters: Arc::clone(&self.counters),
        })
    }

    fn check_rank(&self, rank: usize) -> Result<()> {
        if rank < self.size() {
            Ok(())
        } else {
            Err(Error::InvalidRank {
                rank,
                size: self.size(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_process_collectives_are_identities() -> Result<()> {
        let comm = Comm::single();
        assert_eq!((comm.rank(), comm.size(), comm.is_root()), (0, 1, true));
        let mut recv = [0.0_f32; 2];
        comm.allreduce(&[1.5, -2.0], &mut recv, ReduceOp::Max)?;
        assert_eq!(recv, [1.5, -2.0]);
        assert_eq!(comm.allreduce_scalar(7_u64, ReduceOp::Sum)?, 7);
        assert_eq!(comm.exclusive_scan_sum(5_i64)?, 0);
        assert_eq!(comm.exclusive_scan_sum(2.5_f64)?, 0.0);
        assert_eq!(comm.allgather(&[3_u32, 4])?, vec![3, 4]);
        assert_eq!(
            comm.allgatherv(&[1.0_f64, 2.0, 3.0])?,
            (vec![1.0, 2.0, 3.0], vec![3])
        );
        assert_eq!(comm.broadcast_bytes(0, b"model".to_vec())?, b"model");
        comm.barrier()?;
        assert_eq!(comm.split(3, 0)?.size(), 1);
        Ok(())
    }

    /// Each collective counts once under its kind, with the payload it moved: one rank sends
    /// what it hands over, and receives its results (nothing from other ranks in a gather).
    #[test]
    fn the_counters_count_each_collective_and_its_bytes() -> Result<()> {
        let comm = Comm::single();
        let mut recv = [0.0_f64; 3];
        comm.allreduce(&[1.0, 2.0, 3.0], &mut recv, ReduceOp::Sum)?;
        comm.exclusive_scan_sum(5_u64)?;
        comm.broadcast(0, &mut [0_u32; 4])?;
        comm.allgather(&[1_u8, 2])?;
        comm.allgatherv(&[1.0_f32])?;
        comm.ring_shift(&[1_u64, 2])?;
        // To this rank alone: nothing to or from the other ranks.
        assert_eq!(comm.alltoallv(&[7_u32, 8], &[2])?, (vec![7, 8], vec![2]));
        comm.barrier()?;
        let child = comm.split(0, 0)?;
        child.barrier()?;
        let s = comm.stats();
        let kinds = [
            s.allreduce,
            s.scan,
            s.broadcast,
            s.allgather,
            s.allgatherv,
            s.ring_steps,
        ];
        // allgatherv gathers the lengths first.
        assert_eq!(kinds, [1, 1, 1, 2, 1, 1]);
        assert_eq!(
            (s.barrier, s.split, s.gatherv, s.alltoallv, s.collectives()),
            (2, 1, 0, 1, 11)
        );
        // 24 + 8 + 16 (the broadcast's root) + 2 + 8 + 4 + (8 + 16) (the ring's length and
        // block) sent; the allreduce, the scan and the ring step come back.
        assert_eq!(s.sent_bytes, 24 + 8 + 16 + 2 + 8 + 4 + 24);
        assert_eq!(s.received_bytes, 24 + 8 + 24);
        assert!(s
            .to_string()
            .starts_with("comm stats: rank=0 size=1 allreduce=1 "));
        Ok(())
    }

    #[test]
    fn mismatched_buffers_and_ranks_are_errors() {
        let comm = Comm::single();
        assert!(matches!(
            comm.alltoallv(&[1_u8, 2], &[1]),
            Err(Error::BufferSize { .. })
        ));
        assert!(matches!(
            comm.alltoallv(&[1_u8], &[1, 0]),
            Err(Error::BufferSize { .. })
        ));
        let mut recv = [0.0_f64; 1];
        assert!(matches!(
            comm.allreduce(&[1.0, 2.0], &mut recv, ReduceOp::Sum),
            Err(Error::BufferSize { .. })
        ));
        assert!(matches!(
            comm.broadcast(1, &mut recv),
            Err(Error::InvalidRank { rank: 1, size: 1 })
        ));
    }
}
