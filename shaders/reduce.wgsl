// Adds `count` groups of `width` partials (partials[k * width + e]) into a running total per
// element e that lives on the device across blocks: total[e] holds a (sum, compensation) pair
// updated with Neumaier's compensated summation, so a total over millions of rows keeps the
// accuracy of the kernel's precision instead of losing a digit per tenfold of rows. One
// invocation owns one element.

struct Params {
    width: u32,  // elements of one group of partials
    count: u32,  // groups to add
    pad0: u32,
    pad1: u32,
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
    var sum = total[e].x;
    var compensation = total[e].y;
    for (var k = 0u; k < params.count; k = k + 1u) {
        let value = partials[k * params.width + e];
        let next = sum + value;
        if (abs(sum) >= abs(value)) {
            compensation = compensation + ((sum - next) + value);
        } else {
            compensation = compensation + ((value - next) + sum);
        }
        sum = next;
    }
    total[e] = vec2<Real>(sum, compensation);
}
