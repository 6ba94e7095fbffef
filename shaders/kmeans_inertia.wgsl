// The inertia of a block of rows: each invocation sums, over a chunk of rows, each row's
// squared distance to the centre its label names (rows and centres shifted alike, the
// differences taken exactly, as kmeans_assign.wgsl does) and writes the chunk's sum to
// partials[chunk_first + chunk]; reduce.wgsl adds the chunks on the device.

// Vec4s per row: pipelines are built per width, so the loop over a row unrolls.
override WIDTH4: u32 = 1u;

struct Params {
    rows: u32,        // rows in this block
    width4: u32,      // vec4s per row and per centre (WIDTH4)
    first: u32,       // where this block's rows start in `labels`
    chunk_rows: u32,  // rows one invocation sums
    chunk_first: u32, // chunks of the blocks before this one
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> centres: array<vec4<Real>>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> partials: array<Real>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    let chunks = (params.rows + params.chunk_rows - 1u) / params.chunk_rows;
    if (index >= chunks) {
        return;
    }
    let last = min((index + 1u) * params.chunk_rows, params.rows);
    var total = Real(0.0);
    for (var i = index * params.chunk_rows; i < last; i = i + 1u) {
        let centre = labels[params.first + i] * WIDTH4;
        var acc = vec4<Real>(0.0);
        for (var j = 0u; j < WIDTH4; j = j + 1u) {
            let diff = x[i * WIDTH4 + j] - centres[centre + j];
            acc = acc + diff * diff;
        }
        total = total + acc.x + acc.y + acc.z + acc.w;
    }
    partials[params.chunk_first + index] = total;
}
