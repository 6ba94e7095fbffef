// Binary logistic regression in one pass over resident rows: each invocation takes a chunk of
// CHUNK rows of a block and, row by row, forms z = x . w + b, the row's derivative r and loss
// (MODE 0, as logistic_rows.wgsl, keeping the curvature s p (1 - p)) or its Hessian weight
// times z (MODE 1), and adds x r, r and the loss into sums kept in registers. It writes one
// group of k4 * 4 + 2 partials per chunk (the x r sums, the r sum, the loss sum), which
// reduce.wgsl adds on the device: X is read once per evaluation.
//
// binary_row comes from real_math.wgsl.

// Vec4s per row this pipeline is built for (at most MAX_WIDTH4): the loops over a row have
// constant bounds, so the compiler unrolls them and keeps w and the sums in registers.
override WIDTH4: u32 = 1u;
const MAX_WIDTH4: u32 = 16u;

struct Params {
    rows: u32,      // rows in this block
    k4: u32,        // vec4s per row (WIDTH4)
    chunk: u32,     // rows per invocation
    mode: u32,      // 0: loss and gradient; 1: Hessian product
    first: u32,     // the block's first row among this rank's rows
    weighted: u32,  // 1: `weights` holds each row's weight; 0: every weight is 1
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> coef: array<vec4<Real>>;
@group(0) @binding(3) var<storage, read> intercept: array<Real>;
@group(0) @binding(4) var<storage, read> labels: array<u32>;
@group(0) @binding(5) var<storage, read> weights: array<Real>;
@group(0) @binding(6) var<storage, read_write> curvature: array<Real>;
@group(0) @binding(7) var<storage, read_write> partials: array<Real>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    let chunks = (params.rows + params.chunk - 1u) / params.chunk;
    if (index >= chunks) {
        return;
    }
    let k4 = WIDTH4;
    var w: array<vec4<Real>, MAX_WIDTH4>;
    var acc: array<vec4<Real>, MAX_WIDTH4>;
    for (var j = 0u; j < k4; j = j + 1u) {
        w[j] = coef[j];
        acc[j] = vec4<Real>(0.0);
    }
    let b = intercept[0];
    var r_sum = Real(0.0);
    var loss_sum = Real(0.0);
    let last = min((index + 1u) * params.chunk, params.rows);
    for (var i = index * params.chunk; i < last; i = i + 1u) {
        var dot = vec4<Real>(0.0);
        for (var j = 0u; j < k4; j = j + 1u) {
            dot = dot + x[i * k4 + j] * w[j];
        }
        let v = dot.x + dot.y + dot.z + dot.w + b;
        let g = params.first + i;
        var r: Real;
        if (params.mode == 0u) {
            var s = Real(1.0);
            if (params.weighted == 1u) {
                s = weights[g];
            }
            let row = binary_row(v, select(Real(0.0), Real(1.0), labels[g] == 1u), s);
            loss_sum = loss_sum + row.x;
            r = row.y;
            curvature[g] = row.z;
        } else {
            r = curvature[g] * v;
        }
        r_sum = r_sum + r;
        for (var j = 0u; j < k4; j = j + 1u) {
            acc[j] = acc[j] + x[i * k4 + j] * r;
        }
    }
    let width = k4 * 4u + 2u;
    let out = index * width;
    for (var j = 0u; j < k4; j = j + 1u) {
        partials[out + 4u * j] = acc[j].x;
        partials[out + 4u * j + 1u] = acc[j].y;
        partials[out + 4u * j + 2u] = acc[j].z;
        partials[out + 4u * j + 3u] = acc[j].w;
    }
    partials[out + k4 * 4u] = r_sum;
    partials[out + k4 * 4u + 1u] = loss_sum;
}
