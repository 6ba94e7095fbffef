//! What a fitted model keeps on a GPU between calls.

use std::sync::{Arc, Mutex};

use spmd_gpu::Queue;

use crate::Result;

/// A fitted model's data on a GPU (its training rows, its trees), kept for its next calls on
/// the same queue and shared by the model's clones; never part of a model file. The first call
/// uploads it; later calls with the same queue and `key` (the precision and shape it was made
/// for) reuse it; any other replaces it.
pub(crate) struct KeptOnDevice<K, T>(Arc<Mutex<Option<Kept<K, T>>>>);

struct Kept<K, T> {
    queue: u64,
    key: K,
    value: Arc<T>,
}

impl<K: PartialEq, T> KeptOnDevice<K, T> {
    /// The value kept for `queue` and `key`, or `upload()`'s (then kept), uploaded in `queue`'s
    /// `upload` phase.
    pub(crate) fn get_or_upload(
        &self,
        queue: &Queue,
        key: K,
        upload: impl FnOnce() -> Result<T>,
    ) -> Result<Arc<T>> {
        let mut held = self.0.lock().map_err(|_| {
            crate::Error::Input("the lock of data kept on the GPU is poisoned".into())
        })?;
        if let Some(kept) = held
            .as_ref()
            .filter(|k| k.queue == queue.id() && k.key == key)
        {
            return Ok(Arc::clone(&kept.value));
        }
        let _upload = queue.phase("upload");
        let value = Arc::new(upload()?);
        *held = Some(Kept {
            queue: queue.id(),
            key,
            value: Arc::clone(&value),
        });
        Ok(value)
    }
}

impl<K, T> Clone for KeptOnDevice<K, T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<K, T> Default for KeptOnDevice<K, T> {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(None)))
    }
}

impl<K, T> std::fmt::Debug for KeptOnDevice<K, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.0.lock().map(|k| k.is_some()).unwrap_or(false);
        f.debug_struct("KeptOnDevice")
            .field("on_device", &held)
            .finish()
    }
}

/// Two fitted models are equal by what they hold, wherever a copy of it lies.
impl<K, T> PartialEq for KeptOnDevice<K, T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
