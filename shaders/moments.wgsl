// Column moments of a block of rows: for each chunk of rows and each group of four columns, the
// weighted sum and sum of squares, and the minimum and maximum of z (rows already shifted near
// their mean by the host, so the sums stay accurate in f32). Without weights every row weighs 1.
// The host merges the chunks in f64.

struct Params {
    rows: u32,       // rows in this block
    width4: u32,     // vec4s per row
    chunk_rows: u32, // rows one invocation reduces
    chunks: u32,     // chunks in this block
    weighted: u32,   // 1: row r weighs weights[r]; 0: every row weighs 1 (weights unread)
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> z: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> weights: array<Real>;
@group(0) @binding(3) var<storage, read_write> partials: array<vec4<Real>>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    if (index >= params.chunks * params.width4) {
        return;
    }
    let chunk = index / params.width4;
    let column = index % params.width4;
    let first = chunk * params.chunk_rows;
    let last = min(first + params.chunk_rows, params.rows);

    var sum = vec4<Real>(0.0);
    var squares = vec4<Real>(0.0);
    var low = z[first * params.width4 + column];
    var high = low;
    for (var r = first; r < last; r = r + 1u) {
        let v = z[r * params.width4 + column];
        var weight = Real(1.0);
        if (params.weighted == 1u) {
            weight = weights[r];
        }
        sum = sum + weight * v;
        squares = squares + weight * v * v;
        low = min(low, v);
        high = max(high, v);
    }
    let out = index * 4u;
    partials[out] = sum;
    partials[out + 1u] = squares;
    partials[out + 2u] = low;
    partials[out + 3u] = high;
}
