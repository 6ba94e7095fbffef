// Neighbour candidates (knn_lists.wgsl), each lane reading every training row itself.

fn row_key(cached: ptr<function, array<vec4<Real>, MAX_ROW_WIDTH4>>, query_row: u32, r: u32, group_lane: u32) -> Real {
    return pair_key(cached, query_row, r);
}

@compute @workgroup_size(64)
fn main(id: Invocation) {
    candidates(id, 0u);
}
