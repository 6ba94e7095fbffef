// Neighbour candidates (knn_lists.wgsl) with each training row read once per 8 lanes: lane i
// of each group of 8 loads vec4s i, i + 8, ... of the row and the group shares them by
// shuffles. Every lane of a workgroup takes the same row at the same time, so where the
// adapter turns each lane's load into a load of its own (a CPU adapter's gather), this reads a
// row in an eighth of the loads. Built where the adapter has subgroup operations and
// subgroups of at least 8 lanes (sizes are powers of two, so groups of 8 never straddle two).

fn row_key(cached: ptr<function, array<vec4<Real>, MAX_ROW_WIDTH4>>, query_row: u32, r: u32, group_lane: u32) -> Real {
    if (ROW_WIDTH4 == 0u) {
        return pair_key(cached, query_row, r);
    }
    let lead = group_lane & ~7u;
    let mine = group_lane & 7u;
    var acc = vec4<Real>(0.0);
    for (var base = 0u; base < ROW_WIDTH4; base = base + 8u) {
        let v = rows[r * ROW_WIDTH4 + min(base + mine, ROW_WIDTH4 - 1u)];
        for (var j = 0u; j < 8u; j = j + 1u) {
            if (base + j < ROW_WIDTH4) {
                acc = accumulate(acc, (*cached)[base + j], subgroupShuffle(v, lead + j));
            }
        }
    }
    return finish(acc);
}

@compute @workgroup_size(64)
fn main(id: Invocation, @builtin(subgroup_invocation_id) group_lane: u32) {
    candidates(id, group_lane);
}
