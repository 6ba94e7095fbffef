// y = z * scale + offset, column by column, for a block of rows z (the host has already
// subtracted a per-column centre in f64, so f32 keeps the digits that matter). One invocation
// owns one vec4 of one row.

struct Params {
    rows: u32,    // rows in this block
    width4: u32,  // vec4s per row
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> z: array<vec4<Real>>;
// width4 vec4s of scales, then width4 vec4s of offsets.
@group(0) @binding(2) var<storage, read> coefficients: array<vec4<Real>>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4<Real>>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    if (index >= params.rows * params.width4) {
        return;
    }
    let column = index % params.width4;
    y[index] = z[index] * coefficients[column] + coefficients[params.width4 + column];
}
