// Squared distance of each row of a block to every centre, written rows x clusters (row-major).
// One invocation owns one (row, centre) pair. Distances are sums of squared differences (no norm
// expansion), as in kmeans_assign.wgsl, so f32 stays accurate far from the origin.

struct Params {
    rows: u32,      // rows in this block
    width4: u32,    // vec4s per row and per centre
    clusters: u32,  // number of centres
    pad0: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> centres: array<vec4<Real>>;
@group(0) @binding(3) var<storage, read_write> distances: array<Real>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    if (index >= params.rows * params.clusters) {
        return;
    }
    let row = (index / params.clusters) * params.width4;
    let centre = (index % params.clusters) * params.width4;
    var acc = vec4<Real>(0.0);
    for (var j = 0u; j < params.width4; j = j + 1u) {
        let diff = x[row + j] - centres[centre + j];
        acc = acc + diff * diff;
    }
    distances[index] = acc.x + acc.y + acc.z + acc.w;
}
