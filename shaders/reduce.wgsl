// Shared by `reduce_workgroup.wgsl` and `reduce_subgroup.wgsl`, which differ only in how a
// workgroup's lanes are folded together.
//
// A reduction adds `count` groups of `width` partials (partials[k * width + e]) into a running
// total per element e that lives on the device across blocks: total[e] holds a (sum,
// compensation) pair updated with Neumaier's compensated summation, so a total over millions of
// rows keeps the accuracy of the kernel's precision instead of losing a digit per tenfold of
// rows. With the moments layout (groups of 4 vec4s: sum, squares, minimum, maximum) the last two
// are reduced by min and max instead.
//
// One workgroup owns one element: each of its 64 invocations adds every 64th partial into its
// own (sum, compensation) pair (`lane_share`), the pairs are folded into one, and lane 0 adds
// that into the total (`finish`).

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

// Where element e sits in the moments layout: 0 sums, 1 squares, 2 minima, 3 maxima.
fn part_of(e: u32) -> u32 {
    if (params.grouping == 1u) {
        return (e / 4u) % 4u;
    }
    return 0u;
}

// Two lanes' results for an element in `part`: merged sums, or the minimum or maximum.
fn combine(part: u32, a: vec2<Real>, b: vec2<Real>) -> vec2<Real> {
    if (part == 2u) {
        return vec2<Real>(min(a.x, b.x), 0.0);
    }
    if (part == 3u) {
        return vec2<Real>(max(a.x, b.x), 0.0);
    }
    return merge(a, b);
}

// This lane's share of element e: every 64th partial from the lane's own. A lane with none
// repeats a partial where extremes are taken, which leaves them unchanged.
fn lane_share(e: u32, lane: u32) -> vec2<Real> {
    let part = part_of(e);
    var own = vec2<Real>(0.0);
    if (part >= 2u && params.count > 0u) {
        own.x = partials[(lane % params.count) * params.width + e];
    }
    for (var k = lane; k < params.count; k = k + LANES) {
        own = combine(part, own, vec2<Real>(partials[k * params.width + e], 0.0));
    }
    return own;
}

// Adds the workgroup's folded result into element e's total (or starts it, on a fresh block).
fn finish(e: u32, folded: vec2<Real>) {
    let slot = params.offset + e;
    let part = part_of(e);
    var result = folded;
    if (params.fresh == 0u) {
        if (part >= 2u && params.count == 0u) {
            result = total[slot];
        } else {
            result = combine(part, total[slot], folded);
        }
    }
    total[slot] = result;
}
