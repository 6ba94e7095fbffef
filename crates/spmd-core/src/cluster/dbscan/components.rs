//! Connected components of the core rows, first within a rank, then over all ranks from the
//! edges between components that the ring pass found.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use spmd_comm::Comm;

use crate::Result;

/// Union-find over `0..n` with path halving; the root of a set is its smallest member.
#[derive(Debug, Clone)]
pub(crate) struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    pub(crate) fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Joins the sets of `a` and `b`; false where they were one already.
    pub(crate) fn union(&mut self, a: usize, b: usize) -> bool {
        let (a, b) = (self.find(a), self.find(b));
        let (low, high) = if a < b { (a, b) } else { (b, a) };
        self.parent[high] = low;
        low != high
    }
}

/// [`UnionFind`] that threads share: `union` links the larger root under the smaller with a
/// compare-and-swap, retrying when another thread moved either root first. The root of a set
/// is still its smallest member.
#[derive(Debug)]
pub(crate) struct SharedUnionFind {
    parent: Vec<AtomicUsize>,
}

impl SharedUnionFind {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            parent: (0..n).map(AtomicUsize::new).collect(),
        }
    }

    pub(crate) fn find(&self, mut i: usize) -> usize {
        loop {
            let parent = self.parent[i].load(Ordering::Acquire);
            if parent == i {
                return i;
            }
            let grand = self.parent[parent].load(Ordering::Acquire);
            // Path halving; losing the race only skips a shortcut.
            let _ =
                self.parent[i].compare_exchange(parent, grand, Ordering::AcqRel, Ordering::Acquire);
            i = grand;
        }
    }

    pub(crate) fn union(&self, a: usize, b: usize) {
        loop {
            let (a, b) = (self.find(a), self.find(b));
            if a == b {
                return;
            }
            let (low, high) = if a < b { (a, b) } else { (b, a) };
            let linked =
                self.parent[high].compare_exchange(high, low, Ordering::AcqRel, Ordering::Acquire);
            if linked.is_ok() {
                return;
            }
        }
    }
}

/// The global clusters: every rank's components (named by their smallest global row) and the
/// edges between components of different ranks, gathered on every rank and joined. A cluster
/// is numbered by the order of its smallest core row, as scikit-learn numbers them.
pub(crate) struct Clusters {
    /// Each component's cluster number.
    numbers: HashMap<u64, i64>,
    /// Clusters over all ranks.
    pub count: usize,
}

impl Clusters {
    /// Collective: one allgatherv of the components, one of the edges.
    pub(crate) fn join(comm: &Comm, components: &[u64], edges: &[(u64, u64)]) -> Result<Self> {
        let (all, _) = comm.allgatherv(components)?;
        let flat: Vec<u64> = edges.iter().flat_map(|&(a, b)| [a, b]).collect();
        let (all_edges, _) = comm.allgatherv(&flat)?;
        let mut ids: Vec<u64> = all;
        ids.sort_unstable();
        ids.dedup();
        let position = |id: u64| ids.binary_search(&id).ok();
        let mut sets = UnionFind::new(ids.len());
        for pair in all_edges.chunks_exact(2) {
            if let (Some(a), Some(b)) = (position(pair[0]), position(pair[1])) {
                sets.union(a, b);
            }
        }
        // Roots are the smallest members, so cluster numbers follow the roots' order.
        let mut numbers = HashMap::with_capacity(ids.len());
        let mut root_number: HashMap<usize, i64> = HashMap::new();
        for (i, &id) in ids.iter().enumerate() {
            let root = sets.find(i);
            let next = root_number.len() as i64;
            let number = *root_number.entry(root).or_insert(next);
            numbers.insert(id, number);
        }
        Ok(Self {
            numbers,
            count: root_number.len(),
        })
    }

    /// The cluster of the component `id`.
    pub(crate) fn number(&self, id: u64) -> i64 {
        self.numbers.get(&id).copied().unwrap_or(-1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_sharing_a_union_find_join_what_one_thread_joins() {
        use rayon::prelude::*;
        let n = 5000;
        let edges: Vec<(usize, usize)> = (0..n)
            .map(|i| (i, (i * 7919 + 13) % n))
            .filter(|&(a, b)| (a + b) % 3 != 0)
            .collect();
        let shared = SharedUnionFind::new(n);
        edges.par_iter().for_each(|&(a, b)| shared.union(a, b));
        let mut one = UnionFind::new(n);
        for &(a, b) in &edges {
            one.union(a, b);
        }
        for i in 0..n {
            assert_eq!(shared.find(i), one.find(i));
        }
    }

    #[test]
    fn clusters_are_numbered_by_their_smallest_member() {
        let comm = Comm::single();
        // Components 0, 3, 5, 9, 12: 9 joins 3, 12 joins 0 through 5.
        let clusters =
            Clusters::join(&comm, &[12, 9, 5, 3, 0], &[(9, 3), (12, 5), (5, 0)]).unwrap();
        assert_eq!(clusters.count, 2);
        assert_eq!(
            [0, 3, 5, 9, 12].map(|id| clusters.number(id)),
            [0, 1, 0, 1, 0]
        );
    }
}
