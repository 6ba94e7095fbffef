//! The loaders never panic: random and mutated bytes fed to the `.npy` and `.csv` readers and to
//! the model-file reader (with the model then used) give a result or an error, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use ndarray::Array2;
use ndarray_npy::WriteNpyExt;
use proptest::prelude::*;
use spmd_cli::data::read_features;
use spmd_core::Comm;

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("spmd-learn-props");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Reads `bytes` as a file named `name` the way `fit --x` does; the outcome does not matter,
/// only that there is one.
fn read(name: &str, bytes: &[u8]) {
    let path = scratch(name);
    std::fs::write(&path, bytes).unwrap();
    if let Ok(table) = read_features(path.to_str().unwrap(), &Comm::single()) {
        let _ = table.rows();
        let _ = table.to_owned_as::<f64>();
    }
}

/// A valid `.npy` of a small matrix, in any of the layouts a mutation can start from.
fn valid_npy(rows: usize, cols: usize, fortran: bool, single: bool) -> Vec<u8> {
    let a = Array2::from_shape_fn((rows, cols), |(i, j)| (i * cols + j) as f64 - 3.5);
    let a = if fortran {
        a.reversed_axes()
            .as_standard_layout()
            .reversed_axes()
            .to_owned()
    } else {
        a
    };
    let mut bytes = Vec::new();
    if single {
        a.mapv(|v| v as f32).write_npy(&mut bytes).unwrap();
    } else {
        a.write_npy(&mut bytes).unwrap();
    }
    bytes
}

/// `bytes` with each `(position, value)` written over it and then cut to `keep` of its length.
fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)], keep: f64) -> Vec<u8> {
    for &(at, value) in edits {
        if !bytes.is_empty() {
            let at = at % bytes.len();
            bytes[at] = value;
        }
    }
    let keep = ((bytes.len() as f64) * keep).ceil() as usize;
    bytes.truncate(keep);
    bytes
}

const CSV_PIECES: &[&str] = &[
    "1", "-2.5", "nan", "NaN", "inf", "-Inf", "1e308", "1e999", "", " ", ",", ",,", "\n", "\r\n",
    "\"", "\"3\"", "a", "x,y", "\u{feff}", "\u{fffd}", "0x10", "--1", "1.2.3", "#",
];

fn config() -> ProptestConfig {
    // PROPTEST_CASES runs more (or fewer) cases of every property.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok());
    ProptestConfig {
        cases: cases.unwrap_or(200),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_as_npy(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        read("random.npy", &bytes);
    }

    #[test]
    fn random_bytes_after_a_valid_npy_magic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut file = b"\x93NUMPY\x01\x00".to_vec();
        file.extend(bytes);
        read("magic.npy", &file);
    }

    #[test]
    fn mutated_npy(
        rows in 0usize..6,
        cols in 1usize..4,
        fortran in any::<bool>(),
        single in any::<bool>(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        keep in 0.0f64..=1.0,
    ) {
        read("mutated.npy", &mutate(valid_npy(rows, cols, fortran, single), &edits, keep));
    }

    #[test]
    fn mutated_npy_headers(
        edits in proptest::collection::vec((0usize..128, any::<u8>()), 1..4),
    ) {
        // Edits inside the header only: the dictionary, its length and the version.
        read("header.npy", &mutate(valid_npy(3, 2, false, false), &edits, 1.0));
    }

    #[test]
    fn random_bytes_as_csv(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        read("random.csv", &bytes);
    }

    #[test]
    fn csv_from_pieces(pieces in proptest::collection::vec(0..CSV_PIECES.len(), 0..60)) {
        let text: String = pieces.iter().map(|&i| CSV_PIECES[i]).collect();
        read("pieces.csv", text.as_bytes());
    }
}

/// Fewer cases for the model properties (each runs a command): 120 unless PROPTEST_CASES says.
fn model_config() -> ProptestConfig {
    let set = std::env::var("PROPTEST_CASES").is_ok();
    ProptestConfig {
        cases: if set { config().cases } else { 120 },
        ..config()
    }
}

/// A model file of `estimator` fitted on small data, its JSON, and the data's path.
fn fitted_model(estimator: &str, supervised: bool) -> (serde_json::Value, String) {
    let x = scratch("model_x.npy");
    let y = scratch("model_y.npy");
    Array2::from_shape_fn((12, 3), |(i, j)| ((i * 7 + j * 3) % 5) as f64)
        .write_npy(std::fs::File::create(&x).unwrap())
        .unwrap();
    Array2::from_shape_fn((12, 1), |(i, _)| (i % 2) as f64)
        .write_npy(std::fs::File::create(&y).unwrap())
        .unwrap();
    let out = scratch(&format!("{estimator}.json"));
    let mut args = vec!["spmd-learn", "fit", estimator, "--x", x.to_str().unwrap()];
    if supervised {
        args.extend(["--y", y.to_str().unwrap()]);
    }
    args.extend(["--out", out.to_str().unwrap()]);
    spmd_cli::run(args).unwrap();
    let json = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    (json, x.to_str().unwrap().to_string())
}

/// Every estimator's model of [`estimators`], fitted once.
fn models() -> &'static [(serde_json::Value, String)] {
    static MODELS: std::sync::OnceLock<Vec<(serde_json::Value, String)>> =
        std::sync::OnceLock::new();
    MODELS.get_or_init(|| {
        estimators()
            .iter()
            .map(|&(estimator, supervised, _)| fitted_model(estimator, supervised))
            .collect()
    })
}

/// Every estimator of the registry whose model file holds the model (not its training rows),
/// with whether it needs targets and the first command its model answers.
fn estimators() -> &'static [(&'static str, bool, &'static str)] {
    use spmd_cli::Operation;
    static LIST: std::sync::OnceLock<Vec<(&'static str, bool, &'static str)>> =
        std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        let commands = [
            (Operation::Predict, "predict"),
            (Operation::Transform, "transform"),
            (Operation::InverseTransform, "inverse-transform"),
        ];
        spmd_cli::ESTIMATORS
            .iter()
            .filter(|e| !e.keeps_rows())
            .filter_map(|e| {
                let (_, command) = commands.iter().find(|(o, _)| e.has(*o))?;
                Some((e.name(), e.supervised(), *command))
            })
            .collect()
    })
}

/// JSON values a mutation puts in place of one in a model.
fn replacement(choice: usize) -> serde_json::Value {
    use serde_json::json;
    [
        json!(null),
        json!(-1),
        json!(0),
        json!(1e308),
        json!("text"),
        json!([]),
        json!([[]]),
        json!([[1.0], [2.0, 3.0]]),
        json!([1.0, 2.0]),
        json!({}),
        json!(true),
        json!(4_000_000_000_u64),
    ][choice % 12]
        .clone()
}

/// `value` with the `index`-th of its leaves (in depth-first order) replaced by `new`.
fn replace_leaf(value: &mut serde_json::Value, index: &mut usize, new: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Array(items) => items.iter_mut().any(|v| replace_leaf(v, index, new)),
        serde_json::Value::Object(map) => map.values_mut().any(|v| replace_leaf(v, index, new)),
        leaf => {
            if *index == 0 {
                *leaf = new.clone();
                return true;
            }
            *index -= 1;
            false
        }
    }
}

proptest! {
    #![proptest_config(model_config())]

    #[test]
    fn mutated_models_are_read_and_used_without_panicking(
        which in 0..estimators().len(),
        leaf in any::<usize>(),
        choice in any::<usize>(),
        whole_array in any::<bool>(),
    ) {
        let (_, _, operation) = estimators()[which];
        let (mut json, x) = models()[which].clone();
        let new = replacement(choice);
        if whole_array {
            // Replace a whole attribute rather than one number in it.
            if let serde_json::Value::Object(map) = &mut json {
                let keys: Vec<String> = map.keys().cloned().collect();
                let key = &keys[leaf % keys.len()];
                map.insert(key.clone(), new);
            }
        } else {
            let leaves = {
                let mut count = usize::MAX;
                replace_leaf(&mut json.clone(), &mut count, &new);
                usize::MAX - count
            };
            let mut index = leaf % leaves.max(1);
            replace_leaf(&mut json, &mut index, &new);
        }
        let model = scratch("mutated_model.json");
        std::fs::write(&model, json.to_string()).unwrap();
        let out = scratch("mutated_out.npy");
        let _ = spmd_cli::run([
            "spmd-learn", operation, "--model", model.to_str().unwrap(), "--x", &x,
            "--out", out.to_str().unwrap(),
        ]);
    }

    #[test]
    fn random_bytes_as_a_model(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let model = scratch("random_model.json");
        std::fs::write(&model, &bytes).unwrap();
        let _ = <spmd_cli::ModelFile as spmd_cli::ModelFileIo>::read(&model);
    }
}
