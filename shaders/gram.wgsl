// Gram partials of a block of rows: for each chunk of rows and each 4x4 tile (bi <= bj) of the
// Gram matrix, sum over the chunk of z[r, 4bi..4bi+4] (outer) z[r, 4bj..4bj+4].
//
// One invocation owns one (chunk, tile) pair and keeps its 4x4 result in registers: no
// workgroup memory and no barriers (both are slow on software adapters). The host adds the
// chunk partials in f64, which keeps f32 results accurate on long inputs.

struct Params {
    rows: u32,       // rows in this block
    width4: u32,     // vec4s per row (row length padded to a multiple of 4)
    chunk_rows: u32, // rows summed by one invocation
    tiles: u32,      // tiles of the upper triangle
    chunks: u32,     // chunks in this block
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> z: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> tiles: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> partials: array<vec4<Real>>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    if (index >= params.tiles * params.chunks) {
        return;
    }
    let chunk = index / params.tiles;
    let tile = tiles[index % params.tiles];
    let first = chunk * params.chunk_rows;
    let last = min(first + params.chunk_rows, params.rows);

    var c0 = vec4<Real>(0.0);
    var c1 = vec4<Real>(0.0);
    var c2 = vec4<Real>(0.0);
    var c3 = vec4<Real>(0.0);
    for (var r = first; r < last; r = r + 1u) {
        let base = r * params.width4;
        let a = z[base + tile.x];
        let b = z[base + tile.y];
        c0 = c0 + a.x * b;
        c1 = c1 + a.y * b;
        c2 = c2 + a.z * b;
        c3 = c3 + a.w * b;
    }
    let out = index * 4u;
    partials[out] = c0;
    partials[out + 1u] = c1;
    partials[out + 2u] = c2;
    partials[out + 3u] = c3;
}
