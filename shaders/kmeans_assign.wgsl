// Nearest centre of each row of a block, written to labels[first + row] (every block of a fit
// writes its own range of one labels buffer). One invocation owns one row and keeps its running
// minimum in registers. Distances are sums of squared differences (no norm expansion), so f32
// stays accurate far from the origin.
//
// With `record` set, a row whose nearest centre differs from the label it had sets its bit in
// `moved` (bit g % 32 of word g / 32 for the row at g = first + row), so that the per-cluster
// sums of a Lloyd step need read only the rows that moved.
//
// Pipelines built for one row width (ROW_WIDTH4 vec4s, at most MAX_ROW_WIDTH4) read the row into
// registers once and compare it with every centre in loops the compiler unrolls, reading the
// centres (at most MAX_SMALL_CENTRES vec4s) from a uniform buffer, which every invocation reads
// alike; with ROW_WIDTH4 = 0 the row and the centres are read from storage for each centre, at
// any width and any number of centres. Each binds the other's centres to a placeholder.

// Vec4s per row this pipeline is specialised for; 0: any width, taken from params.
override ROW_WIDTH4: u32 = 0u;
const MAX_ROW_WIDTH4: u32 = 16u;
const MAX_SMALL_CENTRES: u32 = 512u;

struct Params {
    rows: u32,      // rows in this block
    width4: u32,    // vec4s per row and per centre
    clusters: u32,  // number of centres
    first: u32,     // where this block's rows start in `labels`
    record: u32,    // 1: mark the rows whose label changes in `moved`
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> centres: array<vec4<Real>>;
@group(0) @binding(3) var<storage, read_write> labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> moved: array<atomic<u32>>;
@group(0) @binding(5) var<uniform> small_centres: array<vec4<Real>, MAX_SMALL_CENTRES>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let row = flat_index(id);
    if (row >= params.rows) {
        return;
    }
    let base = row * params.width4;
    var best = 0u;
    var best_distance = Real(0.0);
    if (ROW_WIDTH4 > 0u) {
        var v: array<vec4<Real>, MAX_ROW_WIDTH4>;
        for (var j = 0u; j < ROW_WIDTH4; j = j + 1u) {
            v[j] = x[base + j];
        }
        for (var c = 0u; c < params.clusters; c = c + 1u) {
            var acc = vec4<Real>(0.0);
            let centre = c * ROW_WIDTH4;
            for (var j = 0u; j < ROW_WIDTH4; j = j + 1u) {
                let diff = v[j] - small_centres[centre + j];
                acc = acc + diff * diff;
            }
            let distance = acc.x + acc.y + acc.z + acc.w;
            if (c == 0u || distance < best_distance) {
                best = c;
                best_distance = distance;
            }
        }
    } else {
        for (var c = 0u; c < params.clusters; c = c + 1u) {
            var acc = vec4<Real>(0.0);
            let centre = c * params.width4;
            for (var j = 0u; j < params.width4; j = j + 1u) {
                let diff = x[base + j] - centres[centre + j];
                acc = acc + diff * diff;
            }
            let distance = acc.x + acc.y + acc.z + acc.w;
            if (c == 0u || distance < best_distance) {
                best = c;
                best_distance = distance;
            }
        }
    }
    let at = params.first + row;
    if (params.record == 1u && labels[at] != best) {
        atomicOr(&moved[at / 32u], 1u << (at % 32u));
    }
    labels[at] = best;
}
