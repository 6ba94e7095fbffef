// The host's counter-based uniform numbers (crate::random in spmd-core) on 64-bit integers
// (SHADER_INT64); random_u32.wgsl is the same on pairs of u32. 64-bit values come in and
// out as (lo, hi) pairs of u32.

fn mix(z0: u64) -> u64 {
    var z = (z0 ^ (z0 >> 30u)) * 0xBF58476D1CE4E5B9lu;
    z = (z ^ (z >> 27u)) * 0x94D049BB133111EBlu;
    return z ^ (z >> 31u);
}

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

// The uniform number in (0, 1) of `counter` in the stream starting at `base`.
fn uniform_number(base: vec2<u32>, counter: vec2<u32>) -> Real {
    let sum = add64(base, counter);
    let z = mix((u64(sum.y) << 32u) | u64(sum.x));
    let bits = z >> 11u;
    // 53 bits as 21 high and 32 low, each exact in Real's conversion.
    let high = Real(u32(bits >> 32u));
    let low = Real(u32(bits & 0xFFFFFFFFlu));
    return (high * Real(4294967296.0) + low + Real(0.5)) / Real(9007199254740992.0);
}
