//! How the pair kernels (neighbour candidates, DBSCAN's pairs) cut a block of rows: uploads no
//! larger than a binding, each cut into chunks so that (query rows x chunks) invocations give
//! a large GPU work for every core even with few query rows.

/// Invocations a dispatch aims for.
const TARGET_INVOCATIONS: usize = 1 << 16;

/// One upload of a block: its first row, its rows, rows per chunk and chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Upload {
    pub start: usize,
    pub rows: usize,
    pub chunk_rows: usize,
    pub chunks: usize,
}

/// The uploads of a block of `rows` rows in pieces of at most `upload_rows`, for `queries`
/// query rows, chunks of at least `min_chunk_rows` rows; and every chunk's block rows
/// `[start, end)`, in order.
pub(crate) fn plan(
    rows: usize,
    upload_rows: usize,
    queries: usize,
    min_chunk_rows: usize,
) -> (Vec<Upload>, Vec<(usize, usize)>) {
    let uploads: Vec<Upload> = (0..rows)
        .step_by(upload_rows.max(1))
        .map(|start| {
            let n = upload_rows.min(rows - start);
            let wanted = TARGET_INVOCATIONS.div_ceil(queries.max(1));
            let chunks = wanted.clamp(1, n.div_ceil(min_chunk_rows.max(1)).max(1));
            let chunk_rows = n.div_ceil(chunks);
            Upload {
                start,
                rows: n,
                chunk_rows,
                chunks: n.div_ceil(chunk_rows),
            }
        })
        .collect();
    let chunks = uploads
        .iter()
        .flat_map(|u| {
            (0..u.chunks).map(move |c| {
                let first = u.start + c * u.chunk_rows;
                (first, (first + u.chunk_rows).min(u.start + u.rows))
            })
        })
        .collect();
    (uploads, chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_row_once() {
        for (rows, upload, queries) in [(1000, 300, 10), (65, 1 << 16, 1), (5, 2, 100_000)] {
            let (uploads, chunks) = plan(rows, upload, queries, 64);
            let mut covered = 0;
            for u in &uploads {
                assert_eq!(u.start, covered);
                assert!(
                    u.chunk_rows * u.chunks >= u.rows && u.chunk_rows * (u.chunks - 1) < u.rows
                );
                covered += u.rows;
            }
            assert_eq!(covered, rows);
            let mut at = 0;
            for &(start, end) in &chunks {
                assert_eq!(start, at);
                at = end;
            }
            assert_eq!(at, rows);
        }
    }
}
