// Forest prediction: one invocation walks one row down one tree and writes the leaf it
// reaches (the host sums the leaves' values in f64, in tree order, as the CPU does). A row goes
// left when x[feature] <= threshold; for f32 rows the host rounds each threshold down to f32,
// which keeps every comparison exact.

struct Params {
    rows: u32,       // rows in this block
    width4: u32,     // vec4s per row
    trees: u32,
    pad0: u32,
}

struct Node {
    left: i32,       // -1 for a leaf
    right: i32,
    feature: i32,
    pad: i32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<Real>>;
@group(0) @binding(2) var<storage, read> nodes: array<Node>;
@group(0) @binding(3) var<storage, read> thresholds: array<Real>;
@group(0) @binding(4) var<storage, read> roots: array<u32>;
@group(0) @binding(5) var<storage, read_write> leaves: array<u32>;

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    if (index >= params.rows * params.trees) {
        return;
    }
    let row = index / params.trees;
    let tree = index % params.trees;
    let root = roots[tree];
    var node = 0u;
    loop {
        let n = nodes[root + node];
        if (n.left < 0) {
            break;
        }
        let f = u32(n.feature);
        let value = x[row * params.width4 + f / 4u][f % 4u];
        if (value <= thresholds[root + node]) {
            node = u32(n.left);
        } else {
            node = u32(n.right);
        }
    }
    leaves[index] = node;
}
