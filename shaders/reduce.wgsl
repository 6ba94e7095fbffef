// Adds `count` groups of `width` partials (partials[k * width + e]) into a running total per
// element e that lives on the device across blocks: total[e] holds a (sum, compensation) pair
// updated with Neumaier's compensated summation, so a total over millions of rows keeps the
// accuracy of the kernel's precision instead of losing a digit per tenfold of rows. With the
// moments layout (groups of 4 vec4s: sum, squares, minimum, maximum) the last two are reduced
// by min and max instead.
//
// One workgroup owns one element: each of its 64 invocations adds every 64th partial into its
// own (sum, compensation) pair, and the pairs are merged in workgroup memory in six halving
// steps, so a reduction of thousands of partials runs in parallel instead of in one loop.

struct Params {
    width: u32,     // elements of one group of partials
    count: u32,     // groups to add
    grouping: u32,  // 0: every element is a sum; 1: the moments layout
    fresh: u32,     // 1: the first block, whose partials start the totals
    offset: u32,    // where this reduction's elements start in `total`
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partials: array<Real>;
@group(0) @binding(2) var<storage, read_write> total: array<vec2<Real>>;

const LANES: u32 = 64u;
var<workgroup> lane_sums: array<vec2<Real>, LANES>;

// The (sum, compensation) pair of a + b, carrying the rounding error of the sum exactly.
fn merge(a: vec2<Real>, b: vec2<Real>) -> vec2<Real> {
    let next = a.x + b.x;
    var error: Real;
    if (abs(a.x) >= abs(b.x)) {
        error = (a.x - next) + b.x;
    } else {
        error = (b.x - next) + a.x;
    }
    return vec2<Real>(next, a.y + b.y + error);
}

// Minimum (part 2) or maximum (part 3) of the moments layout.
fn extreme_of(part: u32, a: Real, b: Real) -> Real {
    if (part == 2u) {
        return min(a, b);
    }
    return max(a, b);
}

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
    let part = (e / 4u) % 4u;
    let extreme = params.grouping == 1u && part >= 2u;
    // Each lane's share; a lane with none repeats a partial where extremes are taken, which
    // leaves them unchanged.
    var own = vec2<Real>(0.0);
    if (extreme && params.count > 0u) {
        own.x = partials[(lane % params.count) * params.width + e];
    }
    for (var k = lane; k < params.count; k = k + LANES) {
        let value = partials[k * params.width + e];
        if (extreme) {
            own.x = extreme_of(part, own.x, value);
        } else {
            own = merge(own, vec2<Real>(value, 0.0));
        }
    }
    lane_sums[lane] = own;
    workgroupBarrier();
    for (var half = LANES / 2u; half > 0u; half = half / 2u) {
        if (lane < half) {
            let other = lane_sums[lane + half];
            if (extreme) {
                lane_sums[lane].x = extreme_of(part, lane_sums[lane].x, other.x);
            } else {
                lane_sums[lane] = merge(lane_sums[lane], other);
            }
        }
        workgroupBarrier();
    }
    if (lane != 0u) {
        return;
    }
    let slot = params.offset + e;
    var result = lane_sums[0];
    if (params.fresh == 0u) {
        if (extreme) {
            if (params.count > 0u) {
                result.x = extreme_of(part, total[slot].x, result.x);
            } else {
                result = total[slot];
            }
        } else {
            result = merge(total[slot], result);
        }
    }
    total[slot] = result;
}
