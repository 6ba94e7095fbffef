//! DBSCAN against scikit-learn (tests/fixtures/make_dbscan.py): blobs, moons with noise, an
//! integer grid with pairs at exactly eps, duplicated rows, weights, every metric.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ndarray::{Array1, Array2, Ix1, Ix2};
use spmd_learn::cluster::{Dbscan, DbscanParams, FittedDbscan};
use spmd_learn::comm::Comm;
use spmd_learn::Queue;

fn manifest() -> serde_json::Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dbscan/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// One process's fits of `x` on the CPU and on `queue`'s GPU.
fn cpu_and_gpu(
    x: &Array2<f64>,
    params: DbscanParams,
    queue: &Queue,
) -> (FittedDbscan, FittedDbscan) {
    let fit = |queue| {
        Dbscan::with_params(params.clone())
            .comm(Comm::single())
            .fit(x, None, queue)
            .unwrap()
    };
    (fit(None), fit(Some(queue)))
}

#[test]
fn labels_and_core_rows_match_scikit_learn_on_cpu_and_gpu() {
    common::on_cpu_and_gpu("sorted no pairs", |queue| {
        every_case_matches(queue, false);
        every_case_matches(queue, true);
    });
}

#[test]
fn a_gpu_fit_joins_its_own_rows_on_the_device_and_reads_back_little() {
    let Some(queue) = Queue::for_tests() else {
        return;
    };
    // Blobs: most rows core, many neighbours each.
    let n = 4000;
    let x = Array2::from_shape_fn((n, 3), |(i, j)| {
        let blob = (i % 4) as f64 * 10.0;
        blob + ((i * 7919 + j * 104_729) % 1000) as f64 / 250.0
    });
    let params = DbscanParams {
        eps: 0.5,
        min_samples: 5,
        ..DbscanParams::default()
    };
    let (cpu, gpu) = cpu_and_gpu(&x, params, &queue);
    assert_eq!(gpu.labels(), cpu.labels());
    assert_eq!(gpu.core_sample_indices(), cpu.core_sample_indices());
    let phases = queue.phase_stats();
    let phase = |name: &str| phases.iter().find(|(p, _)| *p == name).map(|(_, s)| *s);
    let join = phase("join").expect("the own rows joined on the device");
    assert_eq!((join.submits, join.waits), (3, 4), "{join:?}");
    // The records (43 words a row) and the parents (one word a row), not the pairs.
    assert!(join.readback_bytes <= (n * 4 * (43 + 1)) as u64, "{join:?}");
    let pairs = phase("pairs").expect("the counts");
    assert_eq!((pairs.submits, pairs.waits), (2, 2), "{pairs:?}");
}

/// Rows whose cells hold thousands of rows: an adapter that ends long loops (llvmpipe, after
/// 65,535 iterations in all) would cut such a row's count short; each row's scan keeps to a
/// budget there, and a row past it is counted on the host. `min_samples` is high, so a count
/// cut short would change which rows are core.
#[test]
fn rows_with_thousands_of_candidates_count_them_all() {
    let Some(queue) = Queue::for_tests() else {
        return;
    };
    // One dense disc: 9,000 rows within radius 3, about 1,000 within 1 of a row inside it,
    // 4,500 in the cells each row scans.
    let n = 9000;
    let x = Array2::from_shape_fn((n, 2), |(i, j)| {
        let radius = 3.0 * ((i as f64 + 0.5) / n as f64).sqrt();
        let angle = i as f64 * 2.399_963_229_728_653;
        radius * if j == 0 { angle.cos() } else { angle.sin() }
    });
    let params = DbscanParams {
        eps: 1.0,
        min_samples: 700,
        ..DbscanParams::default()
    };
    let (cpu, gpu) = cpu_and_gpu(&x, params, &queue);
    // Some rows core, some not: the counts decide.
    let core = cpu.core_sample_indices().len();
    assert!(core > 0 && core < n, "{core} core rows");
    assert_eq!(gpu.core_sample_indices(), cpu.core_sample_indices());
    assert_eq!(gpu.labels(), cpu.labels());
}

/// Every case, with its rows in f32 where `single` (the cases whose f32 rows keep their
/// distances, the integer grid, on the device in f32).
fn every_case_matches(queue: Option<&Queue>, single: bool) {
    for case in manifest()["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let x: Array2<f64> = common::fixture::<f64, Ix2>(
            "dbscan",
            &format!("{}.npy", case["data"].as_str().unwrap()),
        );
        let params: DbscanParams = serde_json::from_value(case["params"].clone()).unwrap();
        let weights: Option<Array1<f64>> = case["weights"]
            .as_bool()
            .unwrap()
            .then(|| common::fixture::<f64, Ix1>("dbscan", "weights.npy"));
        if single && case["data"] != "grid" {
            continue;
        }
        let estimator = Dbscan::with_params(params).comm(Comm::single());
        let fitted = if single {
            let weights = weights.map(|w| w.mapv(|v| v as f32));
            estimator.fit(&x.mapv(|v| v as f32), weights.as_ref(), queue)
        } else {
            estimator.fit(&x, weights.as_ref(), queue)
        }
        .unwrap();
        let labels = common::fixture::<i64, Ix1>("dbscan", &format!("{name}_labels.npy"));
        assert_eq!(fitted.labels(), labels.view(), "{name}");
        let core = common::fixture::<i64, Ix1>("dbscan", &format!("{name}_core.npy"));
        let core: Vec<u64> = core.iter().map(|&i| i as u64).collect();
        assert_eq!(fitted.core_sample_indices(), &core[..], "{name}");
        assert_eq!(
            fitted.n_clusters() as u64,
            case["n_clusters"].as_u64().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn bad_parameters_and_rows_are_errors_that_name_them() {
    let x = Array2::<f64>::zeros((4, 2));
    let fit = |params: DbscanParams| {
        Dbscan::with_params(params)
            .comm(Comm::single())
            .fit(&x, None, None)
            .unwrap_err()
            .to_string()
    };
    let err = fit(DbscanParams {
        eps: 0.0,
        ..Default::default()
    });
    assert!(err.contains("eps"), "{err}");
    let err = fit(DbscanParams {
        min_samples: 0,
        ..Default::default()
    });
    assert!(err.contains("min_samples"), "{err}");
    let cosine = spmd_learn::neighbors::Metric::Cosine;
    let err = fit(DbscanParams {
        metric: cosine,
        ..Default::default()
    });
    assert!(err.contains("metric"), "{err}");
    let mut nan = x.clone();
    nan[[2, 1]] = f64::NAN;
    let err = Dbscan::new()
        .comm(Comm::single())
        .fit(&nan, None, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("NaN"), "{err}");
}

/// On a queue computing in f32 (in small blocks), rows far from the origin whose pairs lie at eps to within f32's
/// rounding (a lattice of step 0.1 around 1000, eps a multiple of the step) get exactly the
/// CPU's labels and core rows: the pairs the device cannot decide are decided on exact keys.
#[test]
fn an_f32_device_decides_pairs_at_eps_as_the_cpu() {
    use spmd_learn::gpu::{GpuPrecision, QueueOptions};
    if Queue::shared_for_tests().is_none() {
        return;
    }
    // Blocks of 97 rows: several resident query blocks and uploads per block.
    let options = QueueOptions {
        precision: GpuPrecision::F32,
        max_block_rows: Some(97),
        ..QueueOptions::from_env().unwrap()
    };
    let queue = Queue::with_options(options).unwrap();
    let x = Array2::from_shape_fn((600, 3), |(i, j)| {
        let k = [i % 10, (i / 10) % 10, i / 100][j];
        1000.0 + 0.1 * k as f64 + if (i * 7 + j) % 11 == 0 { 0.05 } else { 0.0 }
    });
    for (metric, eps, min_samples) in [
        (spmd_learn::neighbors::Metric::Euclidean, 0.1, 3),
        (
            spmd_learn::neighbors::Metric::Euclidean,
            0.2_f64.hypot(0.1),
            20,
        ),
        (spmd_learn::neighbors::Metric::Manhattan, 0.2, 12),
        (spmd_learn::neighbors::Metric::Chebyshev, 0.1, 4),
    ] {
        let estimator = Dbscan::new()
            .eps(eps)
            .min_samples(min_samples)
            .metric(metric)
            .comm(Comm::single());
        let cpu = estimator.fit(&x, None, None).unwrap();
        let gpu = estimator.fit(&x, None, Some(&queue)).unwrap();
        assert_eq!(cpu.labels(), gpu.labels(), "{metric:?} eps {eps}");
        assert_eq!(cpu.core_sample_indices(), gpu.core_sample_indices());
        let core = cpu.n_core_samples();
        assert!(core > 0 && core < 600, "{metric:?}: {core} core rows");
    }
}
