//! Checksums of a neighbour model's training files, so that `predict`, `transform` and
//! `kneighbors` notice a file that changed since the fit.
//!
//! A file is hashed in chunks of [`CHUNK_BYTES`]: each chunk's 8-byte little-endian words (the
//! last zero-padded) with FNV-1a (64 bits), then the file's checksum folds the chunks' hashes in
//! order, then the file's length, with the same step. A dataset directory folds its `.parquet`
//! files' chunks and lengths in name order. The chunks are independent, so the chunks of one file
//! shared by all ranks are split over the ranks, and each rank's over its threads: no rank reads
//! more than its share of the file.
//!
//! Models written before the chunks (no `checksum_chunk_bytes` among their training files) keep
//! the hash they recorded, FNV-1a over the whole file, which one rank computes ([`whole_file`]).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use spmd_core::distributed::agree;
use spmd_core::Comm;

use crate::data;
use crate::CliError;

/// The chunk size of the models this version writes: 4 MiB (a multiple of the 8-byte word).
pub(crate) const CHUNK_BYTES: u64 = 4 << 20;

const BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0100_0000_01b3;

/// One FNV-1a step over a 64-bit word.
fn fold(hash: u64, word: u64) -> u64 {
    (hash ^ word).wrapping_mul(PRIME)
}

/// `hash` continued over `bytes` as little-endian 8-byte words, the last zero-padded.
fn fold_words(mut hash: u64, bytes: &[u8]) -> u64 {
    for word in bytes.chunks(8) {
        let mut padded = [0_u8; 8];
        padded[..word.len()].copy_from_slice(word);
        hash = fold(hash, u64::from_le_bytes(padded));
    }
    hash
}

/// The files of an input (a file, or a dataset directory's `.parquet` files) and their lengths.
fn files_and_lengths(path: &Path) -> Result<Vec<(PathBuf, u64)>, CliError> {
    data::files_of(path)?
        .into_iter()
        .map(|file| {
            let length = std::fs::metadata(&file)
                .map_err(|e| CliError::file(&file, format!("training file: {e}")))?
                .len();
            Ok((file, length))
        })
        .collect()
}

/// Every chunk of `files`, in order: (which file, which of its chunks).
fn chunks_of(files: &[(PathBuf, u64)], chunk: u64) -> Vec<(usize, u64)> {
    files
        .iter()
        .enumerate()
        .flat_map(|(file, &(_, length))| (0..length.div_ceil(chunk)).map(move |c| (file, c)))
        .collect()
}

/// The FNV-1a hash of chunk `index` of `path` (`chunk` bytes, fewer at the end).
fn chunk_hash(path: &Path, index: u64, chunk: u64) -> Result<u64, CliError> {
    let fail = |e: std::io::Error| CliError::file(path, format!("training file: {e}"));
    let mut file = File::open(path).map_err(fail)?;
    file.seek(SeekFrom::Start(index * chunk)).map_err(fail)?;
    let mut bytes = Vec::with_capacity(chunk as usize);
    file.take(chunk).read_to_end(&mut bytes).map_err(fail)?;
    Ok(fold_words(BASIS, &bytes))
}

/// The hashes of `chunks` of `files`, on this rank's threads.
fn chunk_hashes(
    files: &[(PathBuf, u64)],
    chunks: &[(usize, u64)],
    chunk: u64,
) -> Result<Vec<u64>, CliError> {
    chunks
        .par_iter()
        .map(|&(file, index)| chunk_hash(&files[file].0, index, chunk))
        .collect()
}

/// The checksum from every chunk's hash (in the order of [`chunks_of`]) and the files' lengths.
fn combine(files: &[(PathBuf, u64)], chunk: u64, hashes: &[u64]) -> u64 {
    let mut hashes = hashes.iter();
    files.iter().fold(BASIS, |hash, &(_, length)| {
        let hash = hashes
            .by_ref()
            .take(length.div_ceil(chunk) as usize)
            .fold(hash, |h, &c| fold(h, c));
        fold(hash, length)
    })
}

/// The chunked checksum of `path`, all of it read by this rank.
pub(crate) fn local(path: &Path, chunk: u64) -> Result<u64, CliError> {
    let files = files_and_lengths(path)?;
    let chunks = chunks_of(&files, chunk);
    Ok(combine(
        &files,
        chunk,
        &chunk_hashes(&files, &chunks, chunk)?,
    ))
}

/// The chunked checksum of `path`, a file every rank reads: each rank hashes an even share of
/// its chunks and the hashes are gathered. Collective; a failure on any rank fails every rank.
pub(crate) fn shared(comm: &Comm, path: &Path, chunk: u64) -> Result<u64, CliError> {
    let mine = files_and_lengths(path).and_then(|files| {
        let chunks = chunks_of(&files, chunk);
        let (start, end) = data::share(chunks.len(), comm.rank(), comm.size());
        Ok((chunk_hashes(&files, &chunks[start..end], chunk)?, files))
    });
    let (hashes, files) = agree(comm, mine.map_err(CliError::into_core))?;
    // The shares are contiguous and in rank order, so the gathered hashes are in chunk order.
    let (all, _) = comm.allgatherv(&hashes).map_err(spmd_core::Error::from)?;
    Ok(combine(&files, chunk, &all))
}

/// The checksum of models written before the chunks: FNV-1a over the bytes of each file in
/// turn, each followed by its length. Read 1 MiB at a time.
pub(crate) fn whole_file(path: &Path) -> Result<u64, CliError> {
    let mut hash = BASIS;
    let mut buffer = Vec::with_capacity(1 << 20);
    for (file, _) in files_and_lengths(path)? {
        let fail = |e: std::io::Error| CliError::file(&file, format!("training file: {e}"));
        let mut reader = File::open(&file).map_err(fail)?;
        let mut length = 0_u64;
        loop {
            buffer.clear();
            // A whole buffer (a multiple of 8 bytes) unless the file ends: the words stay aligned.
            let n = (&mut reader)
                .take(1 << 20)
                .read_to_end(&mut buffer)
                .map_err(fail)?;
            if n == 0 {
                break;
            }
            length += n as u64;
            hash = fold_words(hash, &buffer);
        }
        hash = fold(hash, length);
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a over `bytes` as zero-padded 8-byte words, written out step by step.
    fn fnv(bytes: &[u8]) -> u64 {
        let mut hash = 0xcbf2_9ce4_8422_2325_u64;
        let mut i = 0;
        while i < bytes.len() {
            let mut word = 0_u64;
            for (k, &b) in bytes[i..bytes.len().min(i + 8)].iter().enumerate() {
                word |= u64::from(b) << (8 * k);
            }
            hash = (hash ^ word).wrapping_mul(0x0100_0000_01b3);
            i += 8;
        }
        hash
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("test file");
        path
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("spmd-checksum-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("test directory");
        dir
    }

    #[test]
    fn chunked_checksum_folds_each_chunks_fnv_then_the_length() -> Result<(), CliError> {
        let dir = scratch("chunks");
        let bytes: Vec<u8> = (0..100_u32).map(|i| (i * 37 % 251) as u8).collect();
        let path = write(&dir, "x.bin", &bytes);
        // Chunks of 16 bytes: six full and one of four.
        let expected = bytes
            .chunks(16)
            .map(fnv)
            .chain([100])
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, w| {
                (h ^ w).wrapping_mul(0x0100_0000_01b3)
            });
        assert_eq!(local(&path, 16)?, expected);
        assert_eq!(shared(&Comm::single(), &path, 16)?, expected);
        // The whole-file hash of older models: FNV-1a over every word, then the length.
        let whole = (fnv(&bytes) ^ 100).wrapping_mul(0x0100_0000_01b3);
        assert_eq!(whole_file(&path)?, whole);

        let mut changed = bytes.clone();
        changed[70] ^= 1;
        let other = write(&dir, "y.bin", &changed);
        assert_ne!(local(&other, 16)?, expected);
        let empty = write(&dir, "empty.bin", &[]);
        let basis = 0xcbf2_9ce4_8422_2325_u64;
        assert_eq!(local(&empty, 16)?, basis.wrapping_mul(0x0100_0000_01b3));
        std::fs::remove_dir_all(&dir).ok();
        Ok(())
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = scratch("missing");
        let missing = dir.join("gone.npy");
        let message = local(&missing, 16).map(|_| ()).unwrap_err().to_string();
        assert!(message.contains("gone.npy"), "{message}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
