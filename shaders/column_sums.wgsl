// Partial column sums of a row-major matrix over chunks of rows: the invocation for (chunk,
// column) writes the sum of its chunk's rows of that column; reduce.wgsl adds the chunks.

struct Params {
    rows: u32,    // rows of the matrix
    columns: u32, // columns of the matrix
    chunk: u32,   // rows per chunk
    pad0: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> m: array<Real>;
@group(0) @binding(2) var<storage, read_write> out: array<Real>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    let chunks = (params.rows + params.chunk - 1u) / params.chunk;
    if (index >= chunks * params.columns) {
        return;
    }
    let chunk = index / params.columns;
    let column = index % params.columns;
    let last = min((chunk + 1u) * params.chunk, params.rows);
    var acc = Real(0.0);
    for (var i = chunk * params.chunk; i < last; i = i + 1u) {
        acc = acc + m[i * params.columns + column];
    }
    out[index] = acc;
}
