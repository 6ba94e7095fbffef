//! Counter-based random numbers: a value is a pure function of (seed, stream, counter), so every
//! rank draws the same number for the same global row whatever the number of ranks.

/// SplitMix64 finaliser: a bijective mix of 64 bits.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform number in (0, 1) for (`seed`, `stream`, `counter`).
pub(crate) fn uniform(seed: u64, stream: u64, counter: u64) -> f64 {
    uniform_in(Stream::new(seed, stream), counter)
}

/// The part of [`uniform`] that depends on (`seed`, `stream`) alone, for drawing many
/// counters of one stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stream(u64);

impl Stream {
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        Self(mix(mix(seed ^ 0x9E37_79B9_7F4A_7C15).wrapping_add(stream)))
    }

    /// What the counter is added to before mixing: the stream as a device kernel takes it.
    pub(crate) fn base(self) -> u64 {
        self.0
    }
}

/// [`uniform`] of `counter` in `stream`: the same value.
pub(crate) fn uniform_in(stream: Stream, counter: u64) -> f64 {
    let z = mix(stream.0.wrapping_add(counter));
    ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// A uniform integer in `0..n` for (`seed`, `stream`, `counter`).
pub(crate) fn below(seed: u64, stream: u64, counter: u64, n: u64) -> u64 {
    ((uniform(seed, stream, counter) * n as f64) as u64).min(n.saturating_sub(1))
}

/// `random_state`, or, without one, a seed rank 0 draws from the clock and broadcasts, so every
/// rank draws the same numbers. Collective when `random_state` is `None`.
pub(crate) fn agreed_seed(comm: &spmd_comm::Comm, random_state: Option<u64>) -> crate::Result<u64> {
    if let Some(seed) = random_state {
        return Ok(seed);
    }
    let mut seed = [std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.as_nanos() as u64)];
    comm.broadcast(0, &mut seed)?;
    Ok(seed[0])
}

/// A derived seed, for the `index`-th run of several.
pub(crate) fn derive(seed: u64, index: u64) -> u64 {
    mix(seed.wrapping_add(mix(index.wrapping_add(0xD1B5_4A32_D192_ED03))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_is_in_range_and_reproducible() {
        let draws: Vec<f64> = (0..1000).map(|i| uniform(7, 1, i)).collect();
        assert!(draws.iter().all(|&u| u > 0.0 && u < 1.0));
        assert_eq!(uniform(7, 1, 5), draws[5]);
        let mean = draws.iter().sum::<f64>() / 1000.0;
        assert!((mean - 0.5).abs() < 0.05);
        assert_ne!(uniform(7, 2, 5), uniform(7, 1, 5));
        assert!((0..100).all(|i| below(3, 0, i, 10) < 10));
    }
}
