// Nearest centre of each row of a block, written to labels[first + row] (every block of a fit
// writes its own range of one labels buffer). One invocation owns one row and keeps its running
// minimum in registers. Distances are sums of squared differences (no norm expansion), so f32
// stays accurate far from the origin.
//
// Pipelines built for one row width (ROW_WIDTH4 vec4s, at most MAX_ROW_WIDTH4) read the row into
// registers once and compare it with every centre in loops the compiler unrolls; with
// ROW_WIDTH4 = 0 the row is read from memory for each centre, at any width.

// Vec4s per row this pipeline is specialised for; 0: any width, taken from params.
override ROW_WIDTH4: u32 = 0u;
const MAX_ROW_WIDTH4: u32 = 16u;

struct Params {
    rows: u32,      // rows in this block
    width4: u32,    // vec4s per row and per centre
    clusters: u32,  // number of centres
    first: u32,     // where this block's rows start in `labels`
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> centres: array<vec4<Real>>;
@group(0) @binding(3) var<storage, read_write> labels: array<u32>;

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
                let diff = v[j] - centres[centre + j];
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
    labels[params.first + row] = best;
}
