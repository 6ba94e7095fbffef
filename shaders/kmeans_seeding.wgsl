// k-means++ seeding on resident rows (shifted like the centres). Each invocation takes a chunk
// of `chunk` rows of a block; d2 holds each row's squared distance to its nearest chosen
// centre, for all of this rank's rows.
//
// MODE 0 (update and race): d2[g] = min(d2[g], |x - centre|^2) (or the distance alone, when
//   `fresh`; or, when `chosen` names a candidate of the last MODE 1 pass, that candidate's
//   lowered distance, kept by that pass), then for each of `trials` random streams the chunk's row with the smallest key
//   -ln(u) / d2 (u the stream's uniform number for the row's global index; rows at distance 0
//   take no part), ties to the lowest row: an exponential race, which draws a row with
//   probability proportional to d2. Writes (key, row) per (chunk, stream); key -1: none.
// MODE 1 (potentials): for each of `trials` candidate centres, the chunk's sum of
//   min(d2, |x - candidate|^2): the potential the candidate would leave; each row's lowered
//   distance is kept in `lowered` (one column of rows per candidate) for MODE 0.
//
// The uniform numbers are the host's (crate::random in spmd-core): z = mix(base + counter)
// with SplitMix64's finaliser, u = ((z >> 11) + 1/2) / 2^53, from random_u64.wgsl (64-bit
// integers) or random_u32.wgsl (pairs of u32); real_log comes from real_math.wgsl.

// Pipelines are built per mode, row width (WIDTH4 vec4s, at most MAX_WIDTH4) and number of
// streams or candidates (TRIALS, at most MAX_TRIALS), so that every loop has constant bounds
// and the compiler keeps the row and the per-trial state in registers.
override MODE: u32 = 0u;
override WIDTH4: u32 = 1u;
override TRIALS: u32 = 1u;
const MAX_WIDTH4: u32 = 16u;
const MAX_TRIALS: u32 = 16u;
const MAX_CENTRE_VEC4S: u32 = 256u; // MAX_TRIALS * MAX_WIDTH4

struct Params {
    rows: u32,       // rows in this block
    first: u32,      // the block's first row among this rank's rows
    chunk: u32,      // rows per invocation
    trials: u32,     // TRIALS
    offset_lo: u32,  // this rank's first global row, low and high 32 bits
    offset_hi: u32,
    fresh: u32,      // MODE 0: 1 for the first centre (d2 is set, not lowered)
    chunk_first: u32, // chunks of the blocks before this one (where this block's outputs start)
    chosen: u32,     // MODE 0: the candidate whose lowered distances become d2, or NONE
    all_rows: u32,   // this rank's rows (the length of a column of `lowered`)
    pad0: u32,
    pad1: u32,
}

const NONE: u32 = 0xffffffffu;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<Real>>;
// MODE 0: the new centre; MODE 1: the candidates, WIDTH4 vec4s each. A uniform buffer: with
// the loops over trials and vec4s unrolled, each read is at a fixed place, read once for all
// lanes.
@group(0) @binding(2) var<uniform> centres: array<vec4<Real>, MAX_CENTRE_VEC4S>;
// MODE 0: each stream's base (lo, hi).
@group(0) @binding(3) var<storage, read> bases: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read_write> d2: array<Real>;
// MODE 0: keys per (chunk, stream); MODE 1: potentials per (chunk, candidate).
@group(0) @binding(5) var<storage, read_write> keys: array<Real>;
// MODE 0: rows per (chunk, stream).
@group(0) @binding(6) var<storage, read_write> winners: array<u32>;
@group(0) @binding(7) var<storage, read_write> lowered: array<Real>;

fn squared_distance(row: ptr<function, array<vec4<Real>, MAX_WIDTH4>>, centre: u32) -> Real {
    var acc = vec4<Real>(0.0);
    for (var j = 0u; j < WIDTH4; j = j + 1u) {
        let diff = (*row)[j] - centres[centre * WIDTH4 + j];
        acc = acc + diff * diff;
    }
    return acc.x + acc.y + acc.z + acc.w;
}

@compute @workgroup_size(64)
fn main(id: Invocation) {
    let index = flat_index(id);
    let chunks = (params.rows + params.chunk - 1u) / params.chunk;
    if (index >= chunks) {
        return;
    }
    let trials = TRIALS;
    var best_key: array<Real, MAX_TRIALS>;
    var best_row: array<u32, MAX_TRIALS>;
    var sums: array<Real, MAX_TRIALS>;
    for (var t = 0u; t < trials; t = t + 1u) {
        best_key[t] = Real(-1.0);
        best_row[t] = 0u;
        sums[t] = Real(0.0);
    }
    let offset = vec2<u32>(params.offset_lo, params.offset_hi);
    let last = min((index + 1u) * params.chunk, params.rows);
    var row: array<vec4<Real>, MAX_WIDTH4>;
    for (var i = index * params.chunk; i < last; i = i + 1u) {
        let local = params.first + i;
        if (MODE == 0u) {
            var d: Real;
            if (params.chosen != NONE) {
                d = lowered[params.chosen * params.all_rows + local];
            } else {
                for (var j = 0u; j < WIDTH4; j = j + 1u) {
                    row[j] = x[i * WIDTH4 + j];
                }
                d = squared_distance(&row, 0u);
                if (params.fresh == 0u) {
                    d = min(d, d2[local]);
                }
            }
            d2[local] = d;
            if (d <= Real(0.0)) {
                continue;
            }
            let counter = add64(offset, vec2<u32>(local, 0u));
            for (var t = 0u; t < trials; t = t + 1u) {
                let key = -real_log(uniform_number(bases[t], counter)) / d;
                if (best_key[t] < Real(0.0) || key < best_key[t]) {
                    best_key[t] = key;
                    best_row[t] = local;
                }
            }
        } else {
            for (var j = 0u; j < WIDTH4; j = j + 1u) {
                row[j] = x[i * WIDTH4 + j];
            }
            let d = d2[local];
            for (var t = 0u; t < trials; t = t + 1u) {
                let lower = min(d, squared_distance(&row, t));
                lowered[t * params.all_rows + local] = lower;
                sums[t] = sums[t] + lower;
            }
        }
    }
    let out = (params.chunk_first + index) * trials;
    for (var t = 0u; t < trials; t = t + 1u) {
        if (MODE == 0u) {
            keys[out + t] = best_key[t];
            winners[out + t] = best_row[t];
        } else {
            keys[out + t] = sums[t];
        }
    }
}
