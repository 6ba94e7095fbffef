//! Nodes of few rows, grown to the end by one process each.
//!
//! With one rank, each such node grows from this rank's rows, in parallel over the nodes. With
//! more, each node gets an owner (the least loaded rank by rows, in a fixed order), every rank
//! sends the owner its rows of the node (their codes and terms: one gatherv per owner), the
//! owners grow their nodes, and one allgatherv hands every rank every subtree.

use rayon::prelude::*;
use spmd_comm::Comm;

use super::bins::{Binned, Code};
use super::nodes::{Growing, Open};
use super::split::Task;
use super::subtree::{Data, Grower, RawNode, TreeRows};
use crate::{Error, Result};

/// Grows every node of `small` to the end and grafts the subtrees into their trees.
/// Collective (the list is the same on every rank).
pub(crate) fn grow_small_nodes<C: Code>(
    comm: &Comm,
    grower: &Grower<'_>,
    data: &Data<'_, C>,
    trees: &mut [Growing],
    small: Vec<Open>,
) -> Result<()> {
    if small.is_empty() {
        return Ok(());
    }
    let roots: Vec<RawNode> = small
        .iter()
        .map(|o| trees[o.tree].nodes[o.node].clone())
        .collect();
    let subtrees = if comm.size() == 1 {
        grow_here(grower, data, trees, &small, &roots)
    } else {
        grow_by_owners(comm, grower, data, trees, &small, &roots)?
    };
    for (o, subtree) in small.iter().zip(subtrees) {
        graft(&mut trees[o.tree].nodes, o.node, subtree);
    }
    Ok(())
}

/// Puts `subtree` (its root first, children indexed within it) in place of node `at`.
fn graft(nodes: &mut Vec<RawNode>, at: usize, subtree: Vec<RawNode>) {
    let offset = nodes.len() - 1;
    let relink = |node: &mut RawNode| {
        if node.split.is_some() {
            node.children = node.children.map(|c| c + offset);
        }
    };
    let mut iter = subtree.into_iter();
    if let Some(mut root) = iter.next() {
        relink(&mut root);
        nodes[at].split = root.split;
        nodes[at].children = root.children;
    }
    for mut node in iter {
        relink(&mut node);
        nodes.push(node);
    }
}

/// Every node of `small` grown from this rank's rows (the only rank), each from a compact
/// copy of its rows' codes and terms that stays in cache.
fn grow_here<C: Code>(
    grower: &Grower<'_>,
    data: &Data<'_, C>,
    trees: &[Growing],
    small: &[Open],
    roots: &[RawNode],
) -> Vec<Vec<RawNode>> {
    let task = grower.task;
    let rw = task.row_width();
    let d = grower.bins.len();
    small
        .par_iter()
        .zip(roots)
        .map(|(o, root)| {
            let g = &trees[o.tree];
            let rows = &g.sample.rows[o.start..o.end];
            let n = rows.len();
            let mut codes = vec![C::default(); d * n];
            for (f, column) in codes.chunks_exact_mut(n.max(1)).enumerate().take(d) {
                let source = data.binned.column(f);
                for (c, &r) in column.iter_mut().zip(rows) {
                    *c = source[r as usize];
                }
            }
            let mut terms = Vec::with_capacity(n * rw);
            for &r in rows {
                terms.extend_from_slice(&g.sample.terms[r as usize * rw..(r as usize + 1) * rw]);
            }
            let classes: Vec<u32> = match task {
                Task::Classes { .. } => rows.iter().map(|&r| data.classes[r as usize]).collect(),
                Task::Regression => Vec::new(),
            };
            grow_gathered(grower, g, root, (codes, terms, classes))
        })
        .collect()
}

/// Grows `root` of tree `g` from rows gathered in one place: their codes (feature after
/// feature), terms and classes.
fn grow_gathered<C: Code>(
    grower: &Grower<'_>,
    g: &Growing,
    root: &RawNode,
    (codes, terms, classes): (Vec<C>, Vec<i64>, Vec<u32>),
) -> Vec<RawNode> {
    let rows = terms.len() / grower.task.row_width();
    let binned = Binned::from_columns(codes, rows);
    let here = Data {
        binned: &binned,
        classes: &classes,
    };
    let tree_rows = TreeRows {
        terms: &terms,
        ..g.rows()
    };
    grower.grow_subtree(&here, &tree_rows, root.clone(), rows)
}

/// Every node of `small` grown by its owner from every rank's rows of it. Collective.
fn grow_by_owners<C: Code>(
    comm: &Comm,
    grower: &Grower<'_>,
    data: &Data<'_, C>,
    trees: &[Growing],
    small: &[Open],
    roots: &[RawNode],
) -> Result<Vec<Vec<RawNode>>> {
    let owners = owners(comm.size(), roots);
    let task = grower.task;
    let d = grower.bins.len();
    let mut mine = Vec::new();
    for owner in 0..comm.size() {
        let owned: Vec<usize> = (0..small.len()).filter(|&i| owners[i] == owner).collect();
        let send = pack(task, (data, d), trees, small, &owned);
        if let Some((received, counts)) = comm.gatherv(owner, &send)? {
            mine = unpack::<C>(task, d, &owned, &received, &counts)?;
        }
    }
    let grown: Vec<Vec<i64>> = mine
        .into_par_iter()
        .map(|(index, codes, terms, classes)| {
            let g = &trees[small[index].tree];
            let nodes = grow_gathered(grower, g, &roots[index], (codes, terms, classes));
            encode(index, &nodes)
        })
        .collect();
    let (all, _) = comm.allgatherv(&grown.concat())?;
    decode(&all, small.len(), task.width())
}

/// The rank that grows each node: the least loaded by rows so far, taking the nodes from the
/// most rows down (ties to the lower rank and the earlier node).
fn owners(size: usize, roots: &[RawNode]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..roots.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(roots[i].stats[0]), i));
    let mut load = vec![0_i64; size];
    let mut owners = vec![0; roots.len()];
    for i in order {
        let rank = (0..size).min_by_key(|&r| (load[r], r)).unwrap_or(0);
        load[rank] += roots[i].stats[0];
        owners[i] = rank;
    }
    owners
}

/// This rank's rows of the nodes `owned`: a count per node, then each row's codes, terms and
/// class.
fn pack<C: Code>(
    task: Task,
    (data, d): (&Data<'_, C>, usize),
    trees: &[Growing],
    small: &[Open],
    owned: &[usize],
) -> Vec<u8> {
    let mut bytes = Vec::new();
    for &i in owned {
        let o = &small[i];
        bytes.extend_from_slice(&((o.end - o.start) as u64).to_le_bytes());
    }
    let rw = task.row_width();
    for &i in owned {
        let o = &small[i];
        let sample = &trees[o.tree].sample;
        for &r in &sample.rows[o.start..o.end] {
            let r = r as usize;
            for f in 0..d {
                bytes.extend_from_slice(bytemuck::bytes_of(&data.binned.column(f)[r]));
            }
            for t in &sample.terms[r * rw..(r + 1) * rw] {
                bytes.extend_from_slice(&t.to_le_bytes());
            }
            if let Task::Classes { .. } = task {
                bytes.extend_from_slice(&data.classes[r].to_le_bytes());
            }
        }
    }
    bytes
}

/// A node's gathered rows: its index, codes (feature after feature), terms and classes.
type Gathered<C> = (usize, Vec<C>, Vec<i64>, Vec<u32>);

/// The rows of the nodes `owned` from every rank's [`pack`].
fn unpack<C: Code>(
    task: Task,
    d: usize,
    owned: &[usize],
    received: &[u8],
    counts: &[usize],
) -> Result<Vec<Gathered<C>>> {
    let corrupt = || Error::Input("malformed rows received while growing a forest".into());
    let rw = task.row_width();
    let code = std::mem::size_of::<C>();
    let class = usize::from(matches!(task, Task::Classes { .. })) * 4;
    let row_bytes = d * code + rw * 8 + class;
    // Rows of each node from each rank, in rank order.
    let mut per_node: Vec<Vec<&[u8]>> = vec![Vec::new(); owned.len()];
    let mut offset = 0;
    for &count in counts {
        let chunk = received.get(offset..offset + count).ok_or_else(corrupt)?;
        offset += count;
        let (header, mut rows) = chunk.split_at(8 * owned.len());
        for (k, n) in header.chunks_exact(8).enumerate() {
            let n = u64::from_le_bytes(n.try_into().map_err(|_| corrupt())?) as usize;
            let (these, rest) = rows.split_at(n * row_bytes);
            per_node[k].push(these);
            rows = rest;
        }
    }
    Ok(owned
        .iter()
        .zip(per_node)
        .map(|(&index, chunks)| {
            let rows: usize = chunks.iter().map(|c| c.len() / row_bytes).sum();
            let mut codes = vec![C::default(); d * rows];
            let mut terms = Vec::with_capacity(rows * rw);
            let mut classes = Vec::with_capacity(if class > 0 { rows } else { 0 });
            for (j, row) in chunks
                .iter()
                .flat_map(|c| c.chunks_exact(row_bytes))
                .enumerate()
            {
                for f in 0..d {
                    codes[f * rows + j] =
                        bytemuck::pod_read_unaligned(&row[f * code..(f + 1) * code]);
                }
                let rest = &row[d * code..];
                for t in rest[..rw * 8].chunks_exact(8) {
                    terms.push(i64::from_le_bytes(t.try_into().unwrap_or_default()));
                }
                if class > 0 {
                    let c = &rest[rw * 8..rw * 8 + 4];
                    classes.push(u32::from_le_bytes(c.try_into().unwrap_or_default()));
                }
            }
            (index, codes, terms, classes)
        })
        .collect())
}

/// Integers per node in [`encode`] before its statistics.
const NODE_HEADER: usize = 6;

/// Node `index`'s subtree as integers: index, node count, then each node's key, depth,
/// feature (-1 for a leaf), bin, children and statistics.
fn encode(index: usize, nodes: &[RawNode]) -> Vec<i64> {
    let mut out = vec![index as i64, nodes.len() as i64];
    for n in nodes {
        let (feature, bin) = n.split.map_or((-1, 0), |(f, b)| (f as i64, b as i64));
        out.extend([
            n.key as i64,
            n.depth as i64,
            feature,
            bin,
            n.children[0] as i64,
            n.children[1] as i64,
        ]);
        out.extend_from_slice(&n.stats);
    }
    out
}

/// The subtrees of [`encode`]d nodes, by index.
fn decode(all: &[i64], count: usize, width: usize) -> Result<Vec<Vec<RawNode>>> {
    let corrupt = || Error::Input("malformed subtrees received while growing a forest".into());
    let mut subtrees = vec![Vec::new(); count];
    let mut at = 0;
    while at < all.len() {
        let (index, n) = (
            all[at] as usize,
            all.get(at + 1).copied().ok_or_else(corrupt)? as usize,
        );
        at += 2;
        let mut nodes = Vec::with_capacity(n);
        for _ in 0..n {
            let v = all.get(at..at + NODE_HEADER + width).ok_or_else(corrupt)?;
            nodes.push(RawNode {
                key: v[0] as u64,
                depth: v[1] as usize,
                split: (v[2] >= 0).then_some((v[2] as usize, v[3] as usize)),
                children: [v[4] as usize, v[5] as usize],
                stats: v[NODE_HEADER..].to_vec(),
            });
            at += NODE_HEADER + width;
        }
        *subtrees.get_mut(index).ok_or_else(corrupt)? = nodes;
    }
    Ok(subtrees)
}
