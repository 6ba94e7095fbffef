// Forest histograms: one workgroup adds up to CHUNK_ROWS rows of one task (a node's rows and
// one feature) into that task's histogram: per bin, the row count and the rows' fixed-point
// terms (a classifier's weight under its class; a regressor's weight, weighted target and
// weighted square). Every statistic is a 64-bit integer held as two u32 words (low, high) and
// added with a carry, so sums are exact and the same in any order: the host gets the very
// integers the CPU would. Where a task's histogram fits workgroup memory it is summed there
// first and added to the output once per workgroup.

struct Params {
    chunks: u32,     // workgroups with work
    rows: u32,       // rows per feature in `codes`
    width: u32,      // statistics per bin
    row_width: u32,  // terms per row: 1 (classifier) or 3 (regressor)
    code_bits: u32,  // 8 (four codes a word) or 16 (two)
    local: u32,      // 1: every task's histogram fits LOCAL_WORDS
    pad0: u32,
    pad1: u32,
}

struct Task {
    rows_start: u32, // first entry of the task's rows in `rows`
    rows_len: u32,
    feature: u32,
    bins: u32,
    out: u32,        // first word of the task's histogram in `hist`
    terms: u32,      // first row of the task's tree in `terms`
    pad0: u32,
    pad1: u32,
}

const CHUNK_ROWS: u32 = 4096u;
const LOCAL_WORDS: u32 = 4096u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> codes: array<u32>;
@group(0) @binding(2) var<storage, read> rows: array<u32>;
@group(0) @binding(3) var<storage, read> terms: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> classes: array<u32>;
@group(0) @binding(5) var<storage, read> tasks: array<Task>;
@group(0) @binding(6) var<storage, read> chunks: array<vec2<u32>>;
@group(0) @binding(7) var<storage, read_write> hist: array<atomic<u32>>;

var<workgroup> local_hist: array<atomic<u32>, LOCAL_WORDS>;

fn code_of(feature: u32, row: u32) -> u32 {
    let index = feature * params.rows + row;
    if (params.code_bits == 8u) {
        return (codes[index >> 2u] >> ((index & 3u) * 8u)) & 0xFFu;
    }
    return (codes[index >> 1u] >> ((index & 1u) * 16u)) & 0xFFFFu;
}

// Adds the 64-bit `value` (low, high) at words `at`, `at + 1`.
fn add_local(at: u32, value: vec2<u32>) {
    let old = atomicAdd(&local_hist[at], value.x);
    let high = value.y + select(0u, 1u, old + value.x < old);
    if (high != 0u) {
        atomicAdd(&local_hist[at + 1u], high);
    }
}

fn add_global(at: u32, value: vec2<u32>) {
    let old = atomicAdd(&hist[at], value.x);
    let high = value.y + select(0u, 1u, old + value.x < old);
    if (high != 0u) {
        atomicAdd(&hist[at + 1u], high);
    }
}

fn add(local: bool, out: u32, at: u32, value: vec2<u32>) {
    if (local) {
        add_local(at, value);
    } else {
        add_global(out + at, value);
    }
}

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let group = id.group.y * id.groups.x + id.group.x;
    if (group >= params.chunks) {
        return;
    }
    let chunk = chunks[group];
    let task = tasks[chunk.x];
    let words = task.bins * params.width * 2u;
    let local = params.local == 1u;
    if (local) {
        for (var i = id.lane; i < words; i += 64u) {
            atomicStore(&local_hist[i], 0u);
        }
    }
    workgroupBarrier();
    let end = min(chunk.y + CHUNK_ROWS, task.rows_len);
    for (var i = chunk.y + id.lane; i < end; i += 64u) {
        let row = rows[task.rows_start + i];
        let base = code_of(task.feature, row) * params.width * 2u;
        let t = (task.terms + row) * params.row_width;
        add(local, task.out, base, vec2<u32>(1u, 0u));
        if (params.row_width == 1u) {
            add(local, task.out, base + (1u + classes[row]) * 2u, terms[t]);
        } else {
            add(local, task.out, base + 2u, terms[t]);
            add(local, task.out, base + 4u, terms[t + 1u]);
            add(local, task.out, base + 6u, terms[t + 2u]);
        }
    }
    workgroupBarrier();
    if (local) {
        for (var i = id.lane * 2u; i < words; i += 128u) {
            let value = vec2<u32>(atomicLoad(&local_hist[i]), atomicLoad(&local_hist[i + 1u]));
            if (value.x != 0u || value.y != 0u) {
                add_global(task.out + i, value);
            }
        }
    }
}
