// Partial sums of X^T R over chunks of rows: x is rows x k4 vec4s, r holds rows of `stride`
// scalars whose first t columns are R (the rest are other sums' inputs). The
// invocation for (chunk, j4, col) writes the vec4 sum over its chunk's rows i of
// x[i, 4 j4 .. 4 j4 + 4] * r[i, col]; the host adds the chunks' partials in f64.

struct Params {
    rows: u32,
    k4: u32,
    t: u32,
    chunk: u32,
    stride: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> r: array<Real>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<Real>>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    let per_chunk = params.k4 * params.t;
    let chunks = (params.rows + params.chunk - 1u) / params.chunk;
    if (index >= chunks * per_chunk) {
        return;
    }
    let chunk = index / per_chunk;
    let within = index % per_chunk;
    let j4 = within / params.t;
    let column = within % params.t;
    let first = chunk * params.chunk;
    let last = min(first + params.chunk, params.rows);

    var acc = vec4<Real>(0.0);
    for (var i = first; i < last; i = i + 1u) {
        acc = acc + x[i * params.k4 + j4] * r[i * params.stride + column];
    }
    out[index] = acc;
}
