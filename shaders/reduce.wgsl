// Adds `count` groups of `width` partials (partials[k * width + e]) into a running total per
// element e that lives on the device across blocks: total[e] holds a (sum, compensation) pair
// updated with Neumaier's compensated summation, so a total over millions of rows keeps the
// accuracy of the kernel's precision instead of losing a digit per tenfold of rows. With the
// moments layout (groups of 4 vec4s: sum, squares, minimum, maximum) the last two are reduced
// by min and max instead. One invocation owns one element.

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

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let e = flat_index(id);
    if (e >= params.width) {
        return;
    }
    let part = (e / 4u) % 4u;
    let extreme = params.grouping == 1u && part >= 2u;
    let slot = params.offset + e;
    var sum = total[slot].x;
    var compensation = total[slot].y;
    var first = 0u;
    if (params.fresh == 1u) {
        compensation = Real(0.0);
        sum = Real(0.0);
        if (extreme && params.count > 0u) {
            sum = partials[e];
            first = 1u;
        }
    }
    for (var k = first; k < params.count; k = k + 1u) {
        let value = partials[k * params.width + e];
        if (extreme) {
            if (part == 2u) {
                sum = min(sum, value);
            } else {
                sum = max(sum, value);
            }
            continue;
        }
        let next = sum + value;
        if (abs(sum) >= abs(value)) {
            compensation = compensation + ((sum - next) + value);
        } else {
            compensation = compensation + ((value - next) + sum);
        }
        sum = next;
    }
    total[slot] = vec2<Real>(sum, compensation);
}
