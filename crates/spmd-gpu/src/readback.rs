//! Getting kernel results to the host: through a staging copy, or by mapping the device buffer.

/// How kernel results reach the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readback {
    /// Copy into a mappable staging buffer, then map that (every adapter). Counted by
    /// [`Queue::staged_bytes`](crate::Queue::staged_bytes).
    Staged,
    /// Map the result buffer itself: no staging copy. Needs
    /// [`QueueInfo::mappable_storage`](crate::QueueInfo::mappable_storage).
    Mapped,
}
