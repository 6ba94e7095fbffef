//! Phases of a queue's work (`init`, `step`, `predict`, ...): the estimators name the phase
//! they are in, and the queue counts each phase's traffic apart, for `SPMD_GPU_STATS` and
//! [`crate::Queue::phase_stats`].

use std::sync::Mutex;

use crate::GpuStats;

/// Each phase's counts, in the order the phases first ran, and the phase running now.
#[derive(Debug, Default)]
#[cfg_attr(not(feature = "gpu"), allow(dead_code))]
pub(crate) struct Phases {
    inner: Mutex<PhaseState>,
}

#[derive(Debug, Default)]
#[cfg_attr(not(feature = "gpu"), allow(dead_code))]
struct PhaseState {
    current: Option<&'static str>,
    counts: Vec<(&'static str, GpuStats)>,
}

#[cfg_attr(not(feature = "gpu"), allow(dead_code))]
impl Phases {
    /// Makes `name` the current phase; returns the phase it replaces.
    pub(crate) fn enter(&self, name: &'static str) -> Option<&'static str> {
        let Ok(mut state) = self.inner.lock() else {
            return None;
        };
        if !state.counts.iter().any(|(n, _)| *n == name) {
            state.counts.push((name, GpuStats::default()));
        }
        state.current.replace(name)
    }

    /// Makes `previous` the current phase again.
    pub(crate) fn restore(&self, previous: Option<&'static str>) {
        if let Ok(mut state) = self.inner.lock() {
            state.current = previous;
        }
    }

    /// The current phase, if any.
    pub(crate) fn current(&self) -> Option<&'static str> {
        self.inner.lock().ok().and_then(|s| s.current)
    }

    /// Adds to the current phase's counts with `add`.
    pub(crate) fn count(&self, add: impl FnOnce(&mut GpuStats)) {
        let Ok(mut state) = self.inner.lock() else {
            return;
        };
        let Some(current) = state.current else {
            return;
        };
        if let Some((_, stats)) = state.counts.iter_mut().find(|(n, _)| *n == current) {
            add(stats);
        }
    }

    /// Every phase's counts so far, in the order the phases first ran.
    pub(crate) fn snapshot(&self) -> Vec<(&'static str, GpuStats)> {
        self.inner
            .lock()
            .map(|s| s.counts.clone())
            .unwrap_or_default()
    }
}

/// The queue's current phase while this guard lives (see [`crate::Queue::phase`]); the phase
/// before it comes back when it is dropped.
#[must_use = "the phase ends when the guard is dropped"]
#[derive(Debug)]
pub struct PhaseGuard<'q> {
    pub(crate) phases: Option<&'q Phases>,
    pub(crate) previous: Option<&'static str>,
}

impl Drop for PhaseGuard<'_> {
    fn drop(&mut self) {
        if let Some(phases) = self.phases {
            phases.restore(self.previous);
        }
    }
}
