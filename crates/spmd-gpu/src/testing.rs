//! Queues for test suites.

use std::sync::OnceLock;

use crate::Queue;

impl Queue {
    /// A queue for a test, or `None` to skip it when this machine has no adapter.
    ///
    /// With `SPMD_REQUIRE_GPU=1` (as CI sets) a missing adapter panics instead, so GPU tests
    /// cannot pass by skipping.
    pub fn for_tests() -> Option<Queue> {
        match Queue::new() {
            Ok(queue) => Some(queue),
            Err(e) if gpu_required() => {
                panic!("SPMD_REQUIRE_GPU=1 but no GPU queue could be opened: {e}")
            }
            Err(e) => {
                eprintln!("skipping GPU test: {e}");
                None
            }
        }
    }

    /// Like [`Queue::for_tests`], one queue shared by every test of the process (opening an
    /// adapter takes a moment). Not for tests that read [`Queue::staged_bytes`].
    pub fn shared_for_tests() -> Option<&'static Queue> {
        static SHARED: OnceLock<Option<Queue>> = OnceLock::new();
        SHARED.get_or_init(Queue::for_tests).as_ref()
    }
}

/// Whether `SPMD_REQUIRE_GPU` asks for GPU tests to fail rather than skip.
pub fn gpu_required() -> bool {
    std::env::var("SPMD_REQUIRE_GPU").is_ok_and(|v| v.trim() == "1")
}
