// y = x w for a block of rows: x is rows x k (padded to k4 vec4s per row), w is (4 k4) x t
// (padded to t4 vec4s per row), y is rows x t4 vec4s. One invocation computes one row's block
// of four outputs, reading x a vec4 at a time.

struct Params {
    rows: u32,
    k4: u32,
    t4: u32,
    pad0: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> w: array<vec4<Real>>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4<Real>>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    if (index >= params.rows * params.t4) {
        return;
    }
    let row = index / params.t4;
    let column = index % params.t4;
    let t4 = params.t4;

    var acc = vec4<Real>(0.0);
    for (var kb = 0u; kb < params.k4; kb = kb + 1u) {
        let xv = x[row * params.k4 + kb];
        let wr = 4u * kb * t4 + column;
        acc = acc + xv.x * w[wr] + xv.y * w[wr + t4] + xv.z * w[wr + 2u * t4] + xv.w * w[wr + 3u * t4];
    }
    y[index] = acc;
}
