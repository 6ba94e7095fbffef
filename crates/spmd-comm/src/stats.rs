//! Communication counters: how many collectives of each kind a communicator ran, the bytes this
//! rank handed to them and got back from the other ranks, and the time spent inside them. With
//! `SPMD_COMM_STATS=1` the command line prints one line of them per rank at the end.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The kinds of collective [`crate::Comm`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Collective {
    Allreduce,
    Scan,
    Broadcast,
    Allgather,
    Allgatherv,
    Gatherv,
    Alltoallv,
    RingStep,
    Barrier,
    Split,
}

const KINDS: usize = 10;

/// A communicator's counters, shared by its clones and the communicators split from it.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    calls: [AtomicU64; KINDS],
    sent: AtomicU64,
    received: AtomicU64,
    nanos: AtomicU64,
}

impl Counters {
    /// Counts one collective of `kind` that sent `sent` and received `received` bytes in `took`.
    pub(crate) fn add(&self, kind: Collective, (sent, received): (usize, usize), took: Duration) {
        self.calls[kind as usize].fetch_add(1, Ordering::Relaxed);
        self.sent.fetch_add(sent as u64, Ordering::Relaxed);
        self.received.fetch_add(received as u64, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, rank: usize, size: usize) -> CommStats {
        let calls = |kind: Collective| self.calls[kind as usize].load(Ordering::Relaxed);
        CommStats {
            rank,
            size,
            allreduce: calls(Collective::Allreduce),
            scan: calls(Collective::Scan),
            broadcast: calls(Collective::Broadcast),
            allgather: calls(Collective::Allgather),
            allgatherv: calls(Collective::Allgatherv),
            gatherv: calls(Collective::Gatherv),
            alltoallv: calls(Collective::Alltoallv),
            ring_steps: calls(Collective::RingStep),
            barrier: calls(Collective::Barrier),
            split: calls(Collective::Split),
            sent_bytes: self.sent.load(Ordering::Relaxed),
            received_bytes: self.received.load(Ordering::Relaxed),
            seconds: self.nanos.load(Ordering::Relaxed) as f64 * 1e-9,
        }
    }
}

/// What a communicator (with its clones and the communicators split from it) has exchanged so
/// far, on this rank ([`crate::Comm::stats`]).
///
/// Bytes are the payload: `sent_bytes` what this rank handed to the collectives (a broadcast
/// counts on its root alone), `received_bytes` what came back from the other ranks (an
/// allreduce's or scan's result, the other ranks' parts of a gather, a broadcast's bytes on the
/// other ranks, the previous rank's block of a ring step). How the MPI library moves them (its
/// algorithm, its own copies) is not counted. `seconds` is the time spent inside the calls,
/// waiting for the other ranks included.
///
/// ```
/// let comm = spmd_comm::Comm::single();
/// comm.allreduce_scalar(1.0_f64, spmd_comm::ReduceOp::Sum)?;
/// let stats = comm.stats();
/// assert_eq!((stats.allreduce, stats.sent_bytes, stats.received_bytes), (1, 8, 8));
/// # Ok::<(), spmd_comm::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommStats {
    /// This rank.
    pub rank: usize,
    /// Ranks in the communicator.
    pub size: usize,
    /// Allreduces (a result every rank needs: sums, counts, extremes).
    pub allreduce: u64,
    /// Exclusive scans (global row offsets).
    pub scan: u64,
    /// Broadcasts from one rank (a model, new centres).
    pub broadcast: u64,
    /// Gathers of equal parts onto every rank.
    pub allgather: u64,
    /// Gathers of parts of any length onto every rank.
    pub allgatherv: u64,
    /// Gathers of parts of any length onto one rank.
    pub gatherv: u64,
    /// Exchanges in which every rank sends each other rank a part of its own (`Comm::alltoallv`).
    pub alltoallv: u64,
    /// Blocks passed one step around the ring of ranks (`Comm::ring_shift`).
    pub ring_steps: u64,
    /// Barriers.
    pub barrier: u64,
    /// Communicators split off.
    pub split: u64,
    /// Payload bytes this rank handed to the collectives.
    pub sent_bytes: u64,
    /// Payload bytes that came back from the other ranks.
    pub received_bytes: u64,
    /// Seconds inside the collectives, waiting for the other ranks included.
    pub seconds: f64,
}

impl CommStats {
    /// Collectives of every kind.
    pub fn collectives(&self) -> u64 {
        self.allreduce
            + self.scan
            + self.broadcast
            + self.allgather
            + self.allgatherv
            + self.gatherv
            + self.alltoallv
            + self.ring_steps
            + self.barrier
            + self.split
    }
}

/// The line `SPMD_COMM_STATS=1` prints: `comm stats: rank=0 size=2 allreduce=... seconds=...`.
impl fmt::Display for CommStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "comm stats: rank={} size={} allreduce={} scan={} broadcast={} allgather={} \
             allgatherv={} gatherv={} alltoallv={} ring_steps={} barrier={} split={} \
             sent_bytes={} received_bytes={} seconds={:.6}",
            self.rank,
            self.size,
            self.allreduce,
            self.scan,
            self.broadcast,
            self.allgather,
            self.allgatherv,
            self.gatherv,
            self.alltoallv,
            self.ring_steps,
            self.barrier,
            self.split,
            self.sent_bytes,
            self.received_bytes,
            self.seconds
        )
    }
}

/// Whether `SPMD_COMM_STATS` asks for the line (`1`, `true` or `yes`).
pub fn comm_stats_requested() -> bool {
    std::env::var("SPMD_COMM_STATS")
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}
