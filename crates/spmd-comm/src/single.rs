//! The single-process communicator: one rank, collectives are copies.

use std::sync::Arc;

use crate::backend::Backend;
use crate::{Error, ReduceOp, Result, ScalarKind};

pub(crate) struct SingleProcess;

fn same_len(op: &'static str, send: usize, recv: usize) -> Result<()> {
    if send == recv {
        Ok(())
    } else {
        Err(Error::BufferSize {
            op,
            message: format!("send has {send} bytes but receive has {recv}"),
        })
    }
}

impl Backend for SingleProcess {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn is_mpi(&self) -> bool {
        false
    }
    fn allreduce(&self, _: ScalarKind, _: ReduceOp, send: &[u8], recv: &mut [u8]) -> Result<()> {
        same_len("allreduce", send.len(), recv.len())?;
        recv.copy_from_slice(send);
        Ok(())
    }
    fn exclusive_scan_sum(&self, _: ScalarKind, send: &[u8], recv: &mut [u8]) -> Result<()> {
        same_len("exclusive_scan", send.len(), recv.len())?;
        // All-zero bytes are the additive identity of every supported scalar type.
        recv.fill(0);
        Ok(())
    }
    fn broadcast(&self, root: usize, _: &mut [u8]) -> Result<()> {
        if root == 0 {
            Ok(())
        } else {
            Err(Error::InvalidRank {
                rank: root,
                size: 1,
            })
        }
    }
    fn ring_shift(&self, send: &[u8], recv: &mut [u8]) -> Result<()> {
        same_len("ring_shift", send.len(), recv.len())?;
        recv.copy_from_slice(send);
        Ok(())
    }
    fn allgather(&self, send: &[u8], recv: &mut [u8]) -> Result<()> {
        same_len("allgather", send.len(), recv.len())?;
        recv.copy_from_slice(send);
        Ok(())
    }
    fn allgatherv(&self, send: &[u8], counts: &[usize], recv: &mut [u8]) -> Result<()> {
        same_len("allgatherv", send.len(), recv.len())?;
        same_len("allgatherv", counts.iter().sum(), recv.len())?;
        recv.copy_from_slice(send);
        Ok(())
    }
    fn gatherv(&self, _root: usize, send: &[u8], counts: &[usize], recv: &mut [u8]) -> Result<()> {
        self.allgatherv(send, counts, recv)
    }
    fn alltoallv(
        &self,
        (send, send_counts): (&[u8], &[usize]),
        (recv, recv_counts): (&mut [u8], &[usize]),
    ) -> Result<()> {
        same_len("alltoallv", send.len(), recv.len())?;
        same_len("alltoallv", send_counts.iter().sum(), send.len())?;
        same_len("alltoallv", recv_counts.iter().sum(), recv.len())?;
        recv.copy_from_slice(send);
        Ok(())
    }
    fn barrier(&self) -> Result<()> {
        Ok(())
    }
    fn split(&self, _: u32, _: i32) -> Result<Arc<dyn Backend>> {
        Ok(Arc::new(SingleProcess))
    }
}
