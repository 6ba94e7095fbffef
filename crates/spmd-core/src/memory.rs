//! Memory whose size comes from the input, asked for before it is needed: too large an input
//! is an error naming what would not fit, on every rank, instead of an abort in an allocator.

use crate::{Error, Result};

/// Errors unless `bytes` can be allocated now (they are released at once): what to check
/// before the allocations of a step that would otherwise abort the process.
///
/// ```
/// spmd_core::memory::check_available(1 << 20, "a small buffer", 0)?;
/// assert!(spmd_core::memory::check_available(usize::MAX / 2, "a huge buffer", 0).is_err());
/// # Ok::<(), spmd_core::Error>(())
/// ```
pub fn check_available(bytes: usize, what: &str, rank: usize) -> Result<()> {
    let mut probe: Vec<u8> = Vec::new();
    probe
        .try_reserve_exact(bytes)
        .map_err(|_| Error::OutOfMemory {
            what: what.to_string(),
            bytes: bytes as u64,
            rank,
        })
}

/// [`check_available`] for the `width x width` Gram matrix of a fit: room for three (the sum,
/// its combination across ranks, and the factorisation that solves with it). The threads'
/// partial sums come on top, so an input within a few copies of the limit can still fail in
/// the allocator; one far beyond it is refused here, on every rank, with its size.
pub fn check_gram(width: usize, rank: usize) -> Result<()> {
    const COPIES: usize = 3;
    let bytes = width
        .checked_mul(width)
        .and_then(|n| n.checked_mul(8 * COPIES))
        .unwrap_or(usize::MAX);
    check_available(
        bytes,
        &format!("the {width} x {width} Gram matrix (3 copies)"),
        rank,
    )
}
