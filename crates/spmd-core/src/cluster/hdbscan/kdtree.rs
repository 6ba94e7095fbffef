//! A k-d tree over one rank's rows that travels with them around the ring: the owner sorts its
//! rows into the tree's order once and sends them with the tree's nodes in the block's header,
//! so a rank searching a visiting block builds nothing. Two searches: the k smallest distance
//! keys from a row (core distances), and a row's cheapest mutual-reachability edge to a row of
//! another component (a Borůvka round). Both are exact: every key that is compared is computed
//! in f64 as [`Measure::key`] computes it, and a node is passed over only where a bound no row
//! under it can be below says it cannot matter.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::neighbors::metric::Measure;
use crate::ring::Block;

/// Rows per leaf.
const LEAF: usize = 12;
/// A node's values ahead of its box: first row, end row, left child, right child (-1 for a
/// leaf), the least core distance under it.
const NODE_HEAD: usize = 5;
/// A component id that says "more than one".
pub(super) const MIXED: u32 = u32::MAX;

/// The owner's tree: the rows' order and the nodes (preorder, children after their parent).
pub(super) struct LocalTree {
    width: usize,
    order: Vec<usize>,
    nodes: Vec<Node>,
}

struct Node {
    start: usize,
    end: usize,
    children: Option<(usize, usize)>,
    low: Vec<f64>,
    high: Vec<f64>,
}

impl LocalTree {
    /// The tree over `rows` (row-major, `width` columns).
    pub(super) fn build(rows: &[f64], width: usize) -> Self {
        let count = rows.len().checked_div(width).unwrap_or(0);
        let mut tree = Self {
            width,
            order: (0..count).collect(),
            nodes: Vec::new(),
        };
        if count > 0 {
            tree.split(rows, 0, count);
        }
        tree
    }

    /// Adds the node over `order[start..end]` and its subtree; returns its index.
    fn split(&mut self, rows: &[f64], start: usize, end: usize) -> usize {
        let width = self.width;
        let row = |i: usize| &rows[i * width..(i + 1) * width];
        let mut low = vec![f64::INFINITY; width];
        let mut high = vec![f64::NEG_INFINITY; width];
        for &i in &self.order[start..end] {
            for ((lo, hi), &v) in low.iter_mut().zip(high.iter_mut()).zip(row(i)) {
                *lo = lo.min(v);
                *hi = hi.max(v);
            }
        }
        let index = self.nodes.len();
        let widest = (0..width)
            .max_by(|&a, &b| (high[a] - low[a]).total_cmp(&(high[b] - low[b])))
            .unwrap_or(0);
        let flat = high
            .get(widest)
            .zip(low.get(widest))
            .is_none_or(|(h, l)| h <= l);
        self.nodes.push(Node {
            start,
            end,
            children: None,
            low,
            high,
        });
        if end - start <= LEAF || flat {
            return index;
        }
        let mid = start + (end - start) / 2;
        self.order[start..end].select_nth_unstable_by(mid - start, |&a, &b| {
            rows[a * width + widest].total_cmp(&rows[b * width + widest])
        });
        let left = self.split(rows, start, mid);
        let right = self.split(rows, mid, end);
        self.nodes[index].children = Some((left, right));
        index
    }

    /// The rows' order in the tree (leaf by leaf).
    pub(super) fn order(&self) -> &[usize] {
        &self.order
    }

    /// The block that travels: the nodes (with the least of `cores` under each) as its
    /// header, then each row in the tree's order with its core distance and global index.
    pub(super) fn block(&self, rows: &[f64], ids: &[u64], cores: &[f64]) -> Block {
        let width = self.width;
        let core = |i: usize| cores.get(i).copied().unwrap_or(0.0);
        let mut header = Vec::with_capacity(self.nodes.len() * (NODE_HEAD + 2 * width));
        for node in &self.nodes {
            let (left, right) = node
                .children
                .map_or((-1.0, -1.0), |(l, r)| (l as f64, r as f64));
            let least = self.order[node.start..node.end]
                .iter()
                .map(|&i| core(i))
                .fold(f64::INFINITY, f64::min);
            header.extend([node.start as f64, node.end as f64, left, right, least]);
            header.extend_from_slice(&node.low);
            header.extend_from_slice(&node.high);
        }
        let first = ids.first().copied().unwrap_or(0);
        let mut block = Block::with_header(first, &header, self.order.len() * (width + 2));
        for &i in &self.order {
            block.extend(rows[i * width..(i + 1) * width].iter().copied());
            block.extend([core(i), ids[i] as f64]);
        }
        block
    }
}

/// A visiting block read as a tree.
pub(super) struct TreeView<'a> {
    width: usize,
    nodes: Vec<NodeView<'a>>,
    rows: &'a [f64],
}

/// One node of a [`TreeView`].
struct NodeView<'a> {
    start: usize,
    end: usize,
    children: Option<(usize, usize)>,
    least_core: f64,
    low: &'a [f64],
    high: &'a [f64],
}

/// Rows past the k-th a [`Nearest`] keeps at the k-th key before it gives up on ties.
const TIES: usize = 64;

/// A row's nearest rows so far: (key, global index), ascending by key, the `k` nearest and
/// every row at the k-th distance (a key above the k-th may give the same distance), unless
/// more than [`TIES`] are (then only `k`, and `complete` turns false for good). So, once
/// complete, it holds every row within the row's core distance.
#[derive(Debug, Clone)]
pub(super) struct Nearest {
    measure: Measure,
    k: usize,
    pub found: Vec<(f64, u64)>,
    pub complete: bool,
    /// The largest key at the k-th row's distance (infinite until there are `k`).
    limit: f64,
}

impl Nearest {
    pub(super) fn new(measure: Measure, k: usize) -> Self {
        Self {
            measure,
            k,
            found: Vec::with_capacity(k),
            complete: true,
            limit: f64::INFINITY,
        }
    }

    /// No rows, and not complete: the row's cheapest edge is searched for in the trees.
    pub(super) fn unlisted(measure: Measure, k: usize) -> Self {
        Self {
            complete: false,
            ..Self::new(measure, k)
        }
    }

    /// The k-th smallest key so far; infinite until there are `k`.
    pub(super) fn worst(&self) -> f64 {
        self.found
            .get(self.k.wrapping_sub(1))
            .map_or(f64::INFINITY, |&(key, _)| key)
    }

    /// Whether a row at `key` would be kept: at most the k-th row's distance.
    fn within(&self, key: f64) -> bool {
        key <= self.limit
    }

    fn offer(&mut self, key: f64, id: u64) {
        if !self.within(key) {
            return;
        }
        let at = self.found.partition_point(|&(t, _)| t <= key);
        self.found.insert(at, (key, id));
        let kth_changed = self.found.len() >= self.k && (at < self.k || self.limit.is_infinite());
        if kth_changed {
            self.narrow();
        }
        if self.found.len() > self.k + TIES {
            self.found.truncate(self.k);
            self.complete = false;
        }
    }

    /// After the k-th row changed: the keys at its distance, then the rows within them.
    fn narrow(&mut self) {
        let worst = self.worst();
        let distance = self.measure.distance(worst);
        let mut limit = worst;
        for _ in 0..64 {
            let next = f64::from_bits(limit.to_bits() + 1);
            if !next.is_finite() || self.measure.distance(next) > distance {
                break;
            }
            limit = next;
        }
        self.limit = limit;
        let keep = self.found.partition_point(|&(t, _)| t <= limit);
        self.found.truncate(keep);
    }
}

/// A visiting block's rows' and nodes' components ([`TreeView::components`]).
pub(super) struct Components {
    rows: Vec<u32>,
    nodes: Vec<u32>,
}

/// The cheapest edge found so far, ordered by weight, then by its lower and higher row index
/// (so every rank and every order of search picks the same edge among equal weights).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Candidate {
    pub weight: f64,
    pub low: u64,
    pub high: u64,
}

impl Candidate {
    pub(super) const NONE: Candidate = Candidate {
        weight: f64::INFINITY,
        low: u64::MAX,
        high: u64::MAX,
    };

    pub(super) fn before(&self, other: &Candidate) -> bool {
        (self.weight, self.low, self.high) < (other.weight, other.low, other.high)
    }
}

/// What a Borůvka search of one row needs beyond the tree.
pub(super) struct Query<'a> {
    pub measure: Measure,
    pub alpha: f64,
    pub row: &'a [f64],
    pub id: u64,
    pub core: f64,
    /// Each row's component, by global index.
    pub component: &'a [u32],
    /// The least weight any row of this row's component has found, on this rank.
    pub shared: &'a AtomicU64,
}

impl<'a> TreeView<'a> {
    /// `block` (made by [`LocalTree::block`]) with rows of `width` columns.
    pub(super) fn new(block: &'a Block, width: usize) -> Self {
        let nodes = block
            .header()
            .chunks_exact(NODE_HEAD + 2 * width)
            .map(|v| NodeView {
                start: v[0] as usize,
                end: v[1] as usize,
                children: (v[2] >= 0.0).then(|| (v[2] as usize, v[3] as usize)),
                least_core: v[4],
                low: &v[NODE_HEAD..NODE_HEAD + width],
                high: &v[NODE_HEAD + width..],
            })
            .collect();
        Self {
            width,
            nodes,
            rows: block.values(),
        }
    }

    fn nodes(&self) -> usize {
        self.nodes.len()
    }

    fn node(&self, i: usize) -> &NodeView<'a> {
        &self.nodes[i]
    }

    fn stride(&self) -> usize {
        self.width + 2
    }

    fn row(&self, j: usize) -> &'a [f64] {
        &self.rows[j * self.stride()..j * self.stride() + self.width]
    }

    fn core(&self, j: usize) -> f64 {
        self.rows[j * self.stride() + self.width]
    }

    fn id(&self, j: usize) -> u64 {
        self.rows[j * self.stride() + self.width + 1] as u64
    }

    /// Each row's component (in the block's order), and each node's: the one all its rows are
    /// in, or [`MIXED`].
    pub(super) fn components(&self, component: &[u32]) -> Components {
        let rows: Vec<u32> = (0..self.rows.len() / self.stride())
            .map(|j| component[self.id(j) as usize])
            .collect();
        let mut nodes = vec![MIXED; self.nodes()];
        for i in (0..self.nodes()).rev() {
            let node = self.node(i);
            nodes[i] = match node.children {
                Some((l, r)) if nodes[l] == nodes[r] => nodes[l],
                Some(_) => MIXED,
                None => {
                    let first = rows[node.start];
                    if rows[node.start..node.end].iter().all(|&c| c == first) {
                        first
                    } else {
                        MIXED
                    }
                }
            };
        }
        Components { rows, nodes }
    }

    /// Offers this block's rows to `near`, a row's nearest rows so far.
    pub(super) fn nearest(&self, measure: Measure, query: &[f64], near: &mut Nearest) {
        if self.nodes() == 0 {
            return;
        }
        let bound = |i: usize| {
            let node = self.node(i);
            measure
                .lower_bound(query, node.low, node.high)
                .unwrap_or(0.0)
        };
        let mut stack = vec![(0usize, bound(0))];
        while let Some((i, lower)) = stack.pop() {
            // A node at the k-th distance may hold a tie, which the list keeps.
            if !near.within(lower) {
                continue;
            }
            let node = self.node(i);
            match node.children {
                Some((l, r)) => nearer_last(&mut stack, (l, bound(l)), (r, bound(r))),
                None => {
                    for j in node.start..node.end {
                        near.offer(measure.key(query, self.row(j)), self.id(j));
                    }
                }
            }
        }
    }

    /// Lowers `best` to the cheapest edge from `query`'s row to a row of this block in another
    /// component, where one is cheaper; `nodes` are [`Self::node_components`].
    pub(super) fn cheapest_edge(
        &self,
        query: &Query<'_>,
        components: &Components,
        best: &mut Candidate,
    ) {
        let nodes = &components.nodes;
        if self.nodes() == 0 {
            return;
        }
        let own = query.component[query.id as usize];
        let m = query.measure;
        let bound = |best: &Candidate| {
            best.weight
                .min(f64::from_bits(query.shared.load(Ordering::Relaxed)))
        };
        let lower = |i: usize| {
            let node = self.node(i);
            let key = m.lower_bound(query.row, node.low, node.high).unwrap_or(0.0);
            (m.distance(key) / query.alpha)
                .max(query.core)
                .max(node.least_core)
        };
        let mut stack = vec![(0usize, lower(0))];
        while let Some((i, low)) = stack.pop() {
            if nodes[i] == own || low > bound(best) {
                continue;
            }
            let node = self.node(i);
            match node.children {
                Some((l, r)) => nearer_last(&mut stack, (l, lower(l)), (r, lower(r))),
                None => {
                    for j in node.start..node.end {
                        if components.rows[j] == own {
                            continue;
                        }
                        let floor = query.core.max(self.core(j));
                        if floor > bound(best) {
                            continue;
                        }
                        let distance = m.distance(m.key(query.row, self.row(j))) / query.alpha;
                        let id = self.id(j);
                        let candidate = Candidate {
                            weight: floor.max(distance),
                            low: id.min(query.id),
                            high: id.max(query.id),
                        };
                        if candidate.before(best) {
                            *best = candidate;
                            query
                                .shared
                                .fetch_min(candidate.weight.to_bits(), Ordering::Relaxed);
                        }
                    }
                }
            }
        }
    }
}

/// Pushes two children with their bounds, the nearer last, so it is searched first.
fn nearer_last(stack: &mut Vec<(usize, f64)>, left: (usize, f64), right: (usize, f64)) {
    if left.1 <= right.1 {
        stack.extend([right, left]);
    } else {
        stack.extend([left, right]);
    }
}
