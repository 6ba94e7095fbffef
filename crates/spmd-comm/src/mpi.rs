//! The MPI backend, through rsmpi.

use std::sync::{Arc, Mutex, MutexGuard};

use ::mpi::collective::SystemOperation;
use ::mpi::datatype::{Partition, PartitionMut};
use ::mpi::topology::{Color, SimpleCommunicator};
use ::mpi::traits::*;
use ::mpi::Count;

use crate::backend::Backend;
use crate::{Error, ReduceOp, Result, ScalarKind};

/// An rsmpi communicator. Calls are serialised by the mutex, which is what makes sharing it
/// between threads sound (MPI is initialised with at least `MPI_THREAD_SERIALIZED`).
pub(crate) struct MpiComm {
    comm: Mutex<SendComm>,
    rank: usize,
    size: usize,
}

struct SendComm(SimpleCommunicator);

// SAFETY: an MPI communicator handle may be used from any thread as long as calls are not
// concurrent; every use goes through `MpiComm::comm`'s mutex.
unsafe impl Send for SendComm {}

impl MpiComm {
    pub(crate) fn new(comm: SimpleCommunicator) -> Self {
        let (rank, size) = (comm.rank() as usize, comm.size() as usize);
        Self {
            comm: Mutex::new(SendComm(comm)),
            rank,
            size,
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, SendComm>> {
        self.comm
            .lock()
            .map_err(|_| Error::Mpi("communicator lock poisoned by a panic".into()))
    }
}

fn system_op(op: ReduceOp) -> SystemOperation {
    match op {
        ReduceOp::Sum => SystemOperation::sum(),
        ReduceOp::Min => SystemOperation::min(),
        ReduceOp::Max => SystemOperation::max(),
    }
}

fn cast<T: bytemuck::Pod>(bytes: &[u8]) -> Result<&[T]> {
    bytemuck::try_cast_slice(bytes).map_err(|e| Error::Mpi(format!("buffer cast: {e}")))
}

fn cast_mut<T: bytemuck::Pod>(bytes: &mut [u8]) -> Result<&mut [T]> {
    bytemuck::try_cast_slice_mut(bytes).map_err(|e| Error::Mpi(format!("buffer cast: {e}")))
}

fn count(n: usize) -> Result<Count> {
    Count::try_from(n).map_err(|_| Error::BufferSize {
        op: "allgatherv",
        message: format!("{n} bytes exceed MPI's count limit"),
    })
}

/// MPI's counts and displacements of byte `counts` laid end to end.
fn counts_and_displacements(counts: &[usize]) -> Result<(Vec<Count>, Vec<Count>)> {
    let counts: Vec<Count> = counts.iter().map(|&c| count(c)).collect::<Result<_>>()?;
    let mut displs = Vec::with_capacity(counts.len());
    let mut offset: Count = 0;
    for &c in &counts {
        displs.push(offset);
        offset = offset.checked_add(c).ok_or_else(|| Error::BufferSize {
            op: "gatherv",
            message: "total exceeds MPI's count limit".into(),
        })?;
    }
    Ok((counts, displs))
}

/// Runs `$body` with `$t` bound to the Rust type of `$kind`.
macro_rules! with_scalar_type {
    ($kind:expr, $t:ident => $body:expr) => {
        match $kind {
            ScalarKind::F32 => {
                type $t = f32;
                $body
            }
            ScalarKind::F64 => {
                type $t = f64;
                $body
            }
            ScalarKind::U64 => {
                type $t = u64;
                $body
            }
            ScalarKind::I64 => {
                type $t = i64;
                $body
            }
            ScalarKind::U32 => {
                type $t = u32;
                $body
            }
            ScalarKind::U8 => {
                type $t = u8;
                $body
            }
        }
    };
}

impl Backend for MpiComm {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn is_mpi(&self) -> bool {
        true
    }

    fn allreduce(
        &self,
        kind: ScalarKind,
        op: ReduceOp,
        send: &[u8],
        recv: &mut [u8],
    ) -> Result<()> {
        let comm = self.lock()?;
        with_scalar_type!(kind, T => {
            comm.0.all_reduce_into(cast::<T>(send)?, cast_mut::<T>(recv)?, system_op(op));
        });
        Ok(())
    }

    fn exclusive_scan_sum(&self, kind: ScalarKind, send: &[u8], recv: &mut [u8]) -> Result<()> {
        let comm = self.lock()?;
        with_scalar_type!(kind, T => {
            comm.0.exclusive_scan_into(cast::<T>(send)?, cast_mut::<T>(recv)?, SystemOperation::sum());
        });
        if self.rank == 0 {
            // MPI leaves rank 0's result undefined; the sum over no ranks is zero.
            recv.fill(0);
        }
        Ok(())
    }

    fn broadcast(&self, root: usize, bytes: &mut [u8]) -> Result<()> {
        let comm = self.lock()?;
        comm.0.process_at_rank(root as i32).broadcast_into(bytes);
        Ok(())
    }

    fn allgather(&self, send: &[u8], recv: &mut [u8]) -> Result<()> {
        let comm = self.lock()?;
        comm.0.all_gather_into(send, recv);
        Ok(())
    }

    fn allgatherv(&self, send: &[u8], counts: &[usize], recv: &mut [u8]) -> Result<()> {
        let (counts, displs) = counts_and_displacements(counts)?;
        let comm = self.lock()?;
        let mut partition = PartitionMut::new(recv, counts, displs);
        comm.0.all_gather_varcount_into(send, &mut partition);
        Ok(())
    }

    fn gatherv(&self, root: usize, send: &[u8], counts: &[usize], recv: &mut [u8]) -> Result<()> {
        let (counts, displs) = counts_and_displacements(counts)?;
        let comm = self.lock()?;
        let root_process = comm.0.process_at_rank(count(root)?);
        if self.rank == root {
            let mut partition = PartitionMut::new(recv, counts, displs);
            root_process.gather_varcount_into_root(send, &mut partition);
        } else {
            root_process.gather_varcount_into(send);
        }
        Ok(())
    }

    fn alltoallv(
        &self,
        (send, send_counts): (&[u8], &[usize]),
        (recv, recv_counts): (&mut [u8], &[usize]),
    ) -> Result<()> {
        let (send_counts, send_displs) = counts_and_displacements(send_counts)?;
        let (recv_counts, recv_displs) = counts_and_displacements(recv_counts)?;
        // Empty buffers at distinct real addresses: two empty slices may share a dangling
        // address, which an MPI takes for the same buffer and refuses.
        let (send_spare, mut recv_spare) = ([0_u8; 1], [0_u8; 1]);
        let send = if send.is_empty() {
            &send_spare[..0]
        } else {
            send
        };
        let recv = if recv.is_empty() {
            &mut recv_spare[..0]
        } else {
            recv
        };
        let comm = self.lock()?;
        let outgoing = Partition::new(send, send_counts, send_displs);
        let mut incoming = PartitionMut::new(recv, recv_counts, recv_displs);
        comm.0.all_to_all_varcount_into(&outgoing, &mut incoming);
        Ok(())
    }

    fn ring_shift(&self, send: &[u8], recv: &mut [u8]) -> Result<()> {
        let size = self.size();
        let next = count((self.rank + 1) % size)?;
        let previous = count((self.rank + size - 1) % size)?;
        let comm = self.lock()?;
        ::mpi::point_to_point::send_receive_into(
            send,
            &comm.0.process_at_rank(next),
            recv,
            &comm.0.process_at_rank(previous),
        );
        Ok(())
    }

    fn barrier(&self) -> Result<()> {
        self.lock()?.0.barrier();
        Ok(())
    }

    fn split(&self, color: u32, key: i32) -> Result<Arc<dyn Backend>> {
        let color = i32::try_from(color)
            .map_err(|_| Error::Mpi(format!("split color {color} exceeds i32")))?;
        let comm = self.lock()?;
        let sub = comm
            .0
            .split_by_color_with_key(Color::with_value(color), key)
            .ok_or_else(|| Error::Mpi("MPI_Comm_split returned no communicator".into()))?;
        Ok(Arc::new(MpiComm::new(sub)))
    }
}
