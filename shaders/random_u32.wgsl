// The host's counter-based uniform numbers (crate::random in spmd-core) on 32-bit integers:
// 64-bit values as (lo, hi) pairs of u32. random_u64.wgsl is the same on 64-bit integers.

// The full 64-bit product of two u32, as (lo, hi).
fn mul_wide(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    let lo = (p00 & 0xffffu) | (mid << 16u);
    let hi = a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
    return vec2<u32>(lo, hi);
}

// a * b modulo 2^64.
fn mul64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let low = mul_wide(a.x, b.x);
    return vec2<u32>(low.x, low.y + a.x * b.y + a.y * b.x);
}

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

// z ^ (z >> s) for 0 < s < 32.
fn xor_shift(z: vec2<u32>, s: u32) -> vec2<u32> {
    return z ^ vec2<u32>((z.x >> s) | (z.y << (32u - s)), z.y >> s);
}

// SplitMix64's finaliser.
fn mix(z0: vec2<u32>) -> vec2<u32> {
    var z = mul64(xor_shift(z0, 30u), vec2<u32>(0x1CE4E5B9u, 0xBF58476Du));
    z = mul64(xor_shift(z, 27u), vec2<u32>(0x133111EBu, 0x94D049BBu));
    return xor_shift(z, 31u);
}

// The uniform number in (0, 1) of `counter` in the stream starting at `base`.
fn uniform_number(base: vec2<u32>, counter: vec2<u32>) -> Real {
    let z = mix(add64(base, counter));
    // z >> 11: 21 high bits and 32 low bits.
    let high = Real(z.y >> 11u);
    let low = Real((z.x >> 11u) | (z.y << 21u));
    return (high * Real(4294967296.0) + low + Real(0.5)) / Real(9007199254740992.0);
}

