//! Passing each rank's rows once around the ring of ranks: every rank visits every rank's
//! block (its own first), holding its own rows, the block it visits and the one arriving.

use spmd_comm::Comm;

use crate::{Error, Result};

/// A rank's rows as they travel, in the form they travel in: the global index of the first row,
/// the length of a header and the header (what the rows' owner says of them, such as their
/// bounding box), then the rows (features, then the values carried with them), row-major. A
/// block received is read as it arrived, without a copy.
#[derive(Clone)]
pub(crate) struct Block {
    pub(crate) message: Vec<f64>,
}

impl Block {
    /// An empty block whose rows will start at global index `first`, with room for `len`
    /// values; [`Block::extend`] adds them.
    pub(crate) fn starting_at(first: u64, len: usize) -> Self {
        Self::with_header(first, &[], len)
    }

    /// [`Block::starting_at`] with `header` travelling ahead of the rows.
    pub(crate) fn with_header(first: u64, header: &[f64], len: usize) -> Self {
        let mut message = Vec::with_capacity(len + 2 + header.len());
        message.push(first as f64);
        message.push(header.len() as f64);
        message.extend_from_slice(header);
        Self { message }
    }

    /// Appends `values` to the rows.
    pub(crate) fn extend(&mut self, values: impl IntoIterator<Item = f64>) {
        self.message.extend(values);
    }

    /// Global index of row 0.
    pub(crate) fn first(&self) -> u64 {
        self.message.first().copied().unwrap_or(0.0) as u64
    }

    fn header_len(&self) -> usize {
        self.message.get(1).copied().unwrap_or(0.0) as usize
    }

    /// The header.
    pub(crate) fn header(&self) -> &[f64] {
        self.message
            .get(2..2 + self.header_len())
            .unwrap_or_default()
    }

    /// The rows, row-major.
    pub(crate) fn values(&self) -> &[f64] {
        self.message
            .get(2 + self.header_len()..)
            .unwrap_or_default()
    }
}

/// Calls `visit` with `local`, then with each other rank's block as it comes around the ring
/// (the previous rank's first). Each step's transfer runs on a thread of its own while `visit`
/// works on the block in hand (MPI calls stay serialised: the visiting threads make none).
/// Collective: every rank passes its block on `size - 1` times.
pub(crate) fn ring_pass(comm: &Comm, local: Block, mut visit: impl FnMut(&Block)) -> Result<()> {
    let mut block = local;
    let size = comm.size();
    for step in 0..size {
        if step + 1 == size {
            visit(&block);
            break;
        }
        let received = std::thread::scope(|scope| {
            let transfer = scope.spawn(|| comm.ring_shift(&block.message));
            visit(&block);
            transfer.join()
        })
        .map_err(|_| Error::Input("the ring transfer thread panicked".into()))??;
        block = Block { message: received };
    }
    Ok(())
}
