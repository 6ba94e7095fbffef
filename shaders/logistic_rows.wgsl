// Logistic regression's per-row pass over resident rows: each invocation owns one row i of a
// block, forms its k outputs z_c = x_i . w_c + b_c, and writes the row's share of the gradient
// (or of a Hessian product) as r[i, c], which X^T r and the column sums of r turn into the
// gradient on the device (xt_r.wgsl, column_sums.wgsl, reduce.wgsl). Rows of r hold k + 1
// values: the k derivatives, then the row's loss.
//
// MODE 0 (loss and gradient): r[i, c] = s_i (p_ic - y_ic), r[i, k] = s_i times the row's log
//   loss, and the row's curvature is kept for the Hessian products: binary s_i p_i (1 - p_i),
//   multinomial the probabilities p_ic.
// MODE 1 (Hessian product with v, whose outputs are z): binary r[i] = h_i z_i, multinomial
//   r[i, c] = s_i p_ic (z_c - sum_c' p_ic' z_c'); r[i, k] = 0.
//
// real_exp, real_log and binary_row come from real_math.wgsl.

const MAX_OUTPUTS: u32 = 64u;

struct Params {
    rows: u32,      // rows in this block
    k4: u32,        // vec4s per row (and per coefficient row)
    outputs: u32,   // k: 1 (binary) or the number of classes
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
@group(0) @binding(7) var<storage, read_write> r: array<Real>;

// Row i's output c: x_i . w_c + b_c.
fn output(i: u32, c: u32) -> Real {
    var acc = vec4<Real>(0.0);
    for (var j = 0u; j < params.k4; j = j + 1u) {
        acc = acc + x[i * params.k4 + j] * coef[c * params.k4 + j];
    }
    return acc.x + acc.y + acc.z + acc.w + intercept[c];
}

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let i = flat_index(id);
    if (i >= params.rows) {
        return;
    }
    let k = params.outputs;
    let g = params.first + i;
    var s = Real(1.0);
    if (params.weighted == 1u) {
        s = weights[g];
    }
    let label = labels[g];
    let at = i * (k + 1u);
    var row_loss = Real(0.0);
    if (k == 1u) {
        let v = output(i, 0u);
        if (params.mode == 0u) {
            let row = binary_row(v, select(Real(0.0), Real(1.0), label == 1u), s);
            row_loss = row.x;
            r[at] = row.y;
            curvature[g] = row.z;
        } else {
            r[at] = curvature[g] * v;
        }
        r[at + k] = row_loss;
        return;
    }
    var z: array<Real, MAX_OUTPUTS>;
    for (var c = 0u; c < k; c = c + 1u) {
        z[c] = output(i, c);
    }
    if (params.mode == 0u) {
        var largest = z[0];
        for (var c = 1u; c < k; c = c + 1u) {
            largest = max(largest, z[c]);
        }
        var total = Real(0.0);
        for (var c = 0u; c < k; c = c + 1u) {
            total = total + real_exp(z[c] - largest);
        }
        let log_sum = largest + real_log(total);
        row_loss = s * (log_sum - z[label]);
        for (var c = 0u; c < k; c = c + 1u) {
            let p = real_exp(z[c] - log_sum);
            curvature[g * k + c] = p;
            r[at + c] = s * (p - select(Real(0.0), Real(1.0), c == label));
        }
    } else {
        var mean = Real(0.0);
        for (var c = 0u; c < k; c = c + 1u) {
            mean = mean + z[c] * curvature[g * k + c];
        }
        for (var c = 0u; c < k; c = c + 1u) {
            r[at + c] = s * curvature[g * k + c] * (z[c] - mean);
        }
    }
    r[at + k] = row_loss;
}
