// The reduction (`reduce.wgsl`) with the lanes folded by subgroup shuffles: within each
// subgroup, halving steps exchange (sum, compensation) pairs through registers with no
// barrier; the subgroups' results (two on a 32-wide GPU) then meet in workgroup memory behind
// one barrier. Built where the adapter has subgroup operations.

var<workgroup> subgroup_results: array<vec2<Real>, LANES>;

@compute @workgroup_size(64)
fn main(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
    @builtin(subgroup_invocation_id) subgroup_lane: u32,
    @builtin(subgroup_size) subgroup_size: u32,
    @builtin(subgroup_id) subgroup: u32,
    @builtin(num_subgroups) subgroups: u32,
) {
    let e = group.y * groups.x + group.x;
    if (e >= params.width) {
        return;
    }
    let part = part_of(e);
    var own = lane_share(e, lane);
    // Lane i takes lane i + half's pair; lanes past the subgroup's end are never read by
    // lane 0, whose result is the subgroup's.
    for (var half = subgroup_size / 2u; half > 0u; half = half / 2u) {
        let other = vec2<Real>(subgroupShuffleDown(own.x, half), subgroupShuffleDown(own.y, half));
        if (subgroup_lane + half < subgroup_size) {
            own = combine(part, own, other);
        }
    }
    if (subgroup_lane == 0u) {
        subgroup_results[subgroup] = own;
    }
    workgroupBarrier();
    if (lane == 0u) {
        var folded = subgroup_results[0];
        for (var s = 1u; s < subgroups; s = s + 1u) {
            folded = combine(part, folded, subgroup_results[s]);
        }
        finish(e, folded);
    }
}
