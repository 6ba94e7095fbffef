//! Reading this rank's rows from `.npy`, `.csv`, and (with the `parquet` feature) Parquet and
//! Arrow IPC files, and writing per-rank results.
//!
//! A path with `{rank}` names one shard per rank. A path without it is one file whose rows the
//! ranks share in rank order.
//!
//! Features are read in place where the file allows it: a `.npy` of float64 or float32, in C or
//! Fortran order, is memory-mapped and this rank's rows are handed to the estimator as a view
//! of the map, with no copy (f32 stays f32). Other dtypes (integers, booleans, big-endian) and
//! `.csv` are converted for this rank's rows only. Targets and weights are read for exactly the
//! global rows this rank's features hold, and must hold as many rows as the features
//! ([`RowPartition`]).

#[cfg(feature = "parquet")]
mod columnar;
mod columns;
mod csv_rows;
mod mapped;
mod npy;
mod partition;
mod read;
mod selection;
mod table;
mod write;

pub use columns::{ColumnChoice, Columns, CsvHeader};
pub use partition::RowPartition;
pub use read::{
    files_of, read_features, read_features_with, read_rows, read_rows_with, read_whole,
};
pub use selection::{resolve, share};
pub use table::{Rows, Table};
pub use write::{check_output_dir, check_rows_output, write_rows};

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    use ndarray::{array, Array1, ShapeBuilder};
    use ndarray_npy::WriteNpyExt;
    use spmd_core::Comm;

    use super::read::read_table;
    use super::selection::Selection;
    use super::table::Storage;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("spmd-learn-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    /// Whether the view's first value lies inside the table's memory map: read in place.
    fn reads_in_place(table: &Table) -> bool {
        let Storage::Mapped(m) = &table.storage else {
            return false;
        };
        let map = m.map_range();
        let first = match table.rows().unwrap() {
            Rows::F32(v) => v.as_ptr() as usize,
            Rows::F64(v) => v.as_ptr() as usize,
        };
        map.contains(&first)
    }

    #[test]
    fn float_npy_is_viewed_in_place_in_its_own_precision() {
        let comm = Comm::single();
        let x = array![[1.0_f64, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let path = scratch("c64.npy");
        x.write_npy(std::fs::File::create(&path).unwrap()).unwrap();
        let table = read_features(path.to_str().unwrap(), &comm).unwrap();
        assert!(reads_in_place(&table));
        assert!(matches!(table.rows().unwrap(), Rows::F64(v) if v == x));

        let path = scratch("c32.npy");
        x.mapv(|v| v as f32)
            .write_npy(std::fs::File::create(&path).unwrap())
            .unwrap();
        let table = read_features(path.to_str().unwrap(), &comm).unwrap();
        assert!(reads_in_place(&table));
        assert!(matches!(table.rows().unwrap(), Rows::F32(v) if v == x.mapv(|v| v as f32)));

        // Fortran order is viewed in place too, with column-major strides.
        let path = scratch("f64.npy");
        let mut fortran = ndarray::Array2::<f64>::zeros((3, 2).f());
        fortran.assign(&x);
        fortran
            .write_npy(std::fs::File::create(&path).unwrap())
            .unwrap();
        let table = read_features(path.to_str().unwrap(), &comm).unwrap();
        assert!(reads_in_place(&table));
        assert!(matches!(table.rows().unwrap(), Rows::F64(v) if v == x));
    }

    #[test]
    fn ranks_share_rows_and_other_dtypes_convert_only_their_rows() {
        let path = scratch("ints.npy");
        Array1::from_iter(0..10_i32)
            .write_npy(std::fs::File::create(&path).unwrap())
            .unwrap();
        let selection = Selection::Share { rank: 1, size: 3 };
        let table = read_table(&path, &selection, &Columns::default()).unwrap();
        assert!(table.one_dimensional() && !reads_in_place(&table));
        assert_eq!(
            table.column_as::<f64>("y").unwrap().to_vec(),
            [3.0, 4.0, 5.0]
        );
        let table = read_table(&path, &Selection::Rows(7..10), &Columns::default()).unwrap();
        assert_eq!(
            table.column_as::<f32>("y").unwrap().to_vec(),
            [7.0, 8.0, 9.0]
        );
        let err = read_table(&path, &Selection::Rows(8..12), &Columns::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("has 10 rows, fewer than the features' 12 rows"),
            "{err}"
        );
    }

    #[test]
    fn bad_shapes_are_refused_with_the_file_named() {
        let path = scratch("three.npy");
        ndarray::Array3::<f64>::zeros((2, 2, 2))
            .write_npy(std::fs::File::create(&path).unwrap())
            .unwrap();
        let err = read_table(&path, &Selection::All, &Columns::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("three.npy") && err.contains("3 dimensions"),
            "{err}"
        );
        let path = scratch("scalar.npy");
        ndarray::arr0(1.0_f64)
            .write_npy(std::fs::File::create(&path).unwrap())
            .unwrap();
        let err = read_table(&path, &Selection::All, &Columns::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("0 dimensions"), "{err}");
    }

    #[test]
    fn csv_ranks_parse_their_own_bytes_and_match_rows_of_another_file() {
        let path = scratch("x.csv");
        let text: String = std::iter::once("a,b\n".to_string())
            .chain((0..9).map(|i| format!("{i},{}\n", 10 * i)))
            .collect();
        std::fs::write(&path, text).unwrap();
        let mut seen = Vec::new();
        for rank in 0..4 {
            let table = read_table(
                &path,
                &Selection::Share { rank, size: 4 },
                &Columns::default(),
            )
            .unwrap();
            seen.extend(table.to_owned_as::<f64>().unwrap().column(0).to_vec());
        }
        assert_eq!(seen, (0..9).map(f64::from).collect::<Vec<_>>());
        // More ranks than rows: the ranks without a line get 0 rows of the file's width.
        for rank in 0..16 {
            let table = read_table(
                &path,
                &Selection::Share { rank, size: 16 },
                &Columns::default(),
            )
            .unwrap();
            assert_eq!(table.rows().unwrap().dim().1, 2, "rank {rank}");
        }
        let table = read_table(&path, &Selection::Rows(2..5), &Columns::default()).unwrap();
        assert_eq!(
            table.to_owned_as::<f64>().unwrap().column(1).to_vec(),
            [20.0, 30.0, 40.0]
        );
    }

    /// A version-1 `.npy` file of `descr` and `shape` holding the bytes `data`, as numpy writes.
    fn npy_file(name: &str, descr: &str, fortran: bool, shape: &str, data: &[u8]) -> PathBuf {
        let dict = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        let mut header = dict.into_bytes();
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(b' ');
        }
        header.push(b'\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((header.len() as u16).to_le_bytes());
        bytes.extend(header);
        bytes.extend(data);
        let path = scratch(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn big_endian_npy_converts_only_this_ranks_rows_from_the_map() {
        // Rows i = 0..5 of [i, 10 i] as big-endian f64, in C then Fortran order.
        let c: Vec<u8> = (0..5)
            .flat_map(|i| [f64::from(i), 10.0 * f64::from(i)])
            .flat_map(f64::to_be_bytes)
            .collect();
        let path = npy_file("be_c.npy", ">f8", false, "(5, 2)", &c);
        let table = read_table(
            &path,
            &Selection::Share { rank: 1, size: 2 },
            &Columns::default(),
        )
        .unwrap();
        let want = array![[2.0, 20.0], [3.0, 30.0], [4.0, 40.0]];
        assert_eq!(table.to_owned_as::<f64>().unwrap(), want);

        let f: Vec<u8> = (0..5)
            .map(f64::from)
            .chain((0..5).map(|i| 10.0 * f64::from(i)))
            .flat_map(f64::to_be_bytes)
            .collect();
        let path = npy_file("be_f.npy", ">f8", true, "(5, 2)", &f);
        let table = read_table(&path, &Selection::Rows(2..5), &Columns::default()).unwrap();
        assert_eq!(table.to_owned_as::<f64>().unwrap(), want);

        let ints: Vec<u8> = [7_i32, -3, 5]
            .into_iter()
            .flat_map(i32::to_be_bytes)
            .collect();
        let path = npy_file("be_i4.npy", ">i4", false, "(3,)", &ints);
        let table = read_table(&path, &Selection::All, &Columns::default()).unwrap();
        assert!(table.one_dimensional());
        assert_eq!(
            table.column_as::<f64>("y").unwrap().to_vec(),
            [7.0, -3.0, 5.0]
        );
    }

    #[test]
    fn unreadable_npy_files_are_errors_naming_the_problem() {
        let short = npy_file("be_short.npy", ">f8", false, "(5, 2)", &[0; 16]);
        let strings = npy_file("strings.npy", "<U3", false, "(2,)", &[0; 24]);
        let garbage = scratch("garbage.npy");
        std::fs::write(&garbage, b"not an array at all").unwrap();
        for (path, says) in [
            (short, "truncated"),
            (strings, "found dtype '<U3'"),
            (garbage, "no .npy magic string"),
        ] {
            let err = read_table(&path, &Selection::All, &Columns::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{err}");
        }
    }
}
