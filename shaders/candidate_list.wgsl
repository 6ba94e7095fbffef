// A list of candidates in registers, shared by the neighbour kernels (knn_lists, knn_merge):
// up to `keep` (key, row) pairs, smallest key first; an equal key goes after those already
// there, so rows offered in row order keep ties to the lower row.

const MAX_KEEP: u32 = 128u;

// Puts (key, row) in its place in the list of `*count` pairs, the last pair falling off a full
// list. The caller has checked that the key is below a full list's last.
fn insert_candidate(
    keys: ptr<function, array<Real, MAX_KEEP>>,
    rows: ptr<function, array<u32, MAX_KEEP>>,
    count: ptr<function, u32>,
    keep: u32,
    key: Real,
    row: u32,
) {
    var at = *count;
    if (*count < keep) {
        *count = *count + 1u;
    } else {
        at = keep - 1u;
    }
    while (at > 0u && (*keys)[at - 1u] > key) {
        (*keys)[at] = (*keys)[at - 1u];
        (*rows)[at] = (*rows)[at - 1u];
        at = at - 1u;
    }
    (*keys)[at] = key;
    (*rows)[at] = row;
}
