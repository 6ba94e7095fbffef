// The reduction (`reduce.wgsl`) with the lanes folded in workgroup memory: six halving steps,
// each behind a barrier. For adapters without subgroup operations.

var<workgroup> lane_results: array<vec2<Real>, LANES>;

@compute @workgroup_size(64)
fn main(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let e = group.y * groups.x + group.x;
    if (e >= params.width) {
        return;
    }
    let part = part_of(e);
    lane_results[lane] = lane_share(e, lane);
    workgroupBarrier();
    for (var half = LANES / 2u; half > 0u; half = half / 2u) {
        if (lane < half) {
            lane_results[lane] = combine(part, lane_results[lane], lane_results[lane + half]);
        }
        workgroupBarrier();
    }
    if (lane == 0u) {
        finish(e, lane_results[0]);
    }
}
