//! Random forests under `mpirun -n 2` and `-n 4` (and as a plain one-rank test): the same
//! `random_state` gives bit-identical trees for any number of ranks and any split of the rows
//! (an empty rank, ranks missing classes), with bootstrap, `max_samples`, class and sample
//! weights, best-first growth and the out-of-bag estimate; a failure on one rank reaches all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod harness;

use harness::{ensure, my_rows, split_rows, Check, Harness};
use ndarray::{s, Array1, Array2, Axis, Ix1, Ix2};
use spmd_learn::comm::Comm;
use spmd_learn::ensemble::{
    RandomForestClassifier, RandomForestClassifierParams, RandomForestRegressor,
    RandomForestRegressorParams,
};
use spmd_learn::Queue;

/// A forest fixture's rows, sorted by target (so that a split leaves classes off some ranks).
fn data<T: ndarray_npy::ReadableElement + Copy + PartialOrd>(
    name: &str,
) -> (Array2<f64>, Array1<T>) {
    let x: Array2<f64> = common::fixture::<f64, Ix2>("forest", &format!("{name}_x.npy"));
    let y: Array1<T> = common::fixture::<T, Ix1>("forest", &format!("{name}_y.npy"));
    let mut order: Vec<usize> = (0..y.len()).collect();
    order.sort_by(|&i, &j| y[i].partial_cmp(&y[j]).unwrap().then(i.cmp(&j)));
    (x.select(Axis(0), &order), y.select(Axis(0), &order))
}

/// 10,000 rows with three classes: large enough for nodes grown in histogram rounds (more than
/// 4096 rows over all ranks) before the small ones are gathered.
fn large() -> (Array2<f64>, Array1<i64>) {
    let x = Array2::from_shape_fn((10_000, 5), |(i, j)| {
        (((i * 7919 + j * 104_729) % 10_007) as f64 / 10_007.0 - 0.5) * (j + 1) as f64
    });
    let y = x
        .rows()
        .into_iter()
        .map(|r| i64::from((3.0 * r[0]).sin() + r[1] * r[2] > 0.0) + i64::from(r[3] > 1.0))
        .collect();
    (x, y)
}

fn classifier_same_as_single(
    c: &Comm,
    params: &str,
    (counts, big): (&[usize], bool),
    queue: Option<&Queue>,
) -> Check {
    let (x, y) = if big {
        large()
    } else {
        data::<i64>("multiclass")
    };
    let params: RandomForestClassifierParams = serde_json::from_str(params).unwrap();
    let reference = RandomForestClassifier::with_params(params.clone())
        .comm(Comm::single())
        .fit(&x, &y, None)
        .map_err(|e| e.to_string())?;
    let rows = my_rows(c, counts);
    let fitted = RandomForestClassifier::with_params(params)
        .comm(c.clone())
        .fit(
            &x.slice(s![rows.clone(), ..]),
            &y.slice(s![rows.clone()]),
            queue,
        )
        .map_err(|e| e.to_string())?;
    ensure(fitted.estimators() == reference.estimators(), || {
        "the trees differ from one process's".into()
    })?;
    ensure(
        fitted.feature_importances() == reference.feature_importances(),
        || "importances differ".into(),
    )?;
    ensure(fitted.oob_score() == reference.oob_score(), || {
        format!(
            "oob_score_ {:?} vs {:?}",
            fitted.oob_score(),
            reference.oob_score()
        )
    })?;
    if let (Some(mine), Some(all)) = (
        fitted.oob_decision_function(),
        reference.oob_decision_function(),
    ) {
        ensure(mine == all.slice(s![rows.clone(), ..]), || {
            "oob_decision_function_ differs".into()
        })?;
    }
    let accuracy = fitted.score(c, &x.slice(s![rows.clone(), ..]), &y.slice(s![rows]), queue);
    let expected = reference.score(&Comm::single(), &x, &y, None).unwrap();
    ensure(accuracy.map_err(|e| e.to_string())? == expected, || {
        "score differs".into()
    })
}

fn regressor_same_as_single(c: &Comm, params: &str, counts: &[usize], weighted: bool) -> Check {
    let (x, y) = if counts.iter().sum::<usize>() == 10_000 {
        let (x, labels) = large();
        let y = Array1::from_shape_fn(labels.len(), |i| labels[i] as f64 + x[[i, 4]]);
        (x, y)
    } else {
        data::<f64>("friedman")
    };
    let w: Array1<f64> = Array1::from_shape_fn(y.len(), |i| 0.5 + (i % 7) as f64 / 3.0);
    let params: RandomForestRegressorParams = serde_json::from_str(params).unwrap();
    let reference = RandomForestRegressor::with_params(params.clone())
        .comm(Comm::single())
        .fit_weighted(&x, &y, weighted.then(|| w.view()), None)
        .map_err(|e| e.to_string())?;
    let rows = my_rows(c, counts);
    let fitted = RandomForestRegressor::with_params(params)
        .comm(c.clone())
        .fit_weighted(
            &x.slice(s![rows.clone(), ..]),
            &y.slice(s![rows.clone()]),
            weighted.then(|| w.slice(s![rows.clone()])),
            None,
        )
        .map_err(|e| e.to_string())?;
    ensure(fitted.estimators() == reference.estimators(), || {
        "the trees differ from one process's".into()
    })?;
    if let (Some(mine), Some(theirs)) = (fitted.oob_score(), reference.oob_score()) {
        ensure((mine - theirs).abs() < 1e-12, || {
            format!("oob_score_ {mine} vs {theirs}")
        })?;
    }
    if let (Some(mine), Some(all)) = (fitted.oob_prediction(), reference.oob_prediction()) {
        ensure(mine == all.slice(s![rows]), || {
            "oob_prediction_ differs".into()
        })?;
    }
    Ok(())
}

fn main() {
    let mut h = Harness::new("mpi_forest");
    let p = h.comm.size();
    let n_class = 2000;
    // Rank r holds r parts: rank 0 none, and the rows are sorted by label.
    let uneven = |n| split_rows(n, p, |r| if p > 1 { r } else { 1 });
    let even = |n| split_rows(n, p, |_| 1);
    let cases = [
        (
            "classifier defaults with oob",
            r#"{"n_estimators": 6, "oob_score": true, "random_state": 3}"#,
        ),
        (
            "classifier entropy, max_samples, balanced_subsample",
            r#"{"n_estimators": 5, "criterion": "entropy", "max_samples": 0.6, "class_weight": "balanced_subsample", "random_state": 4}"#,
        ),
        (
            "classifier best first, no bootstrap",
            r#"{"n_estimators": 4, "max_leaf_nodes": 30, "bootstrap": false, "max_features": 0.5, "random_state": 5}"#,
        ),
        (
            "classifier shallow, balanced, min_samples_leaf",
            r#"{"n_estimators": 4, "max_depth": 5, "class_weight": "balanced", "min_samples_leaf": 4, "max_bins": 32, "random_state": 6}"#,
        ),
    ];
    for (name, params) in cases {
        h.run(&format!("{name}: uneven split, empty rank"), |c| {
            classifier_same_as_single(c, params, (&uneven(n_class), false), None)
        });
    }
    h.run(
        "classifier on 10,000 rows: histogram rounds, then gathered nodes",
        |c| classifier_same_as_single(c, cases[1].1, (&uneven(10_000), true), None),
    );
    h.run(
        "classifier on the GPU equals one CPU process: even split",
        |c| {
            classifier_same_as_single(
                c,
                cases[0].1,
                (&even(10_000), true),
                Queue::shared_for_tests(),
            )
        },
    );
    h.run(
        "classifier on the GPU equals one CPU process: uneven split, empty rank",
        |c| {
            classifier_same_as_single(
                c,
                cases[1].1,
                (&uneven(10_000), true),
                Queue::shared_for_tests(),
            )
        },
    );
    let regressions = [
        (
            "regressor defaults with oob",
            r#"{"n_estimators": 5, "oob_score": true, "random_state": 7}"#,
            false,
        ),
        (
            "regressor weighted, min_weight_fraction_leaf, sqrt",
            r#"{"n_estimators": 4, "max_features": "sqrt", "min_weight_fraction_leaf": 0.002, "random_state": 8}"#,
            true,
        ),
        (
            "regressor best first, max_samples",
            r#"{"n_estimators": 4, "max_leaf_nodes": 50, "max_samples": 500, "random_state": 9}"#,
            false,
        ),
    ];
    for (name, params, weighted) in regressions {
        h.run(&format!("{name}: uneven split, empty rank"), |c| {
            regressor_same_as_single(c, params, &uneven(2000), weighted)
        });
    }
    h.run(
        "regressor on 10,000 rows: rounds with sibling subtraction, then gathered nodes",
        |c| regressor_same_as_single(c, regressions[0].1, &uneven(10_000), true),
    );
    h.run(
        "local_trees_mode: each rank's trees from its own rows, gathered alike everywhere",
        |c| {
            let (x, y) = data::<i64>("multiclass");
            let counts = uneven(n_class);
            let rows = my_rows(c, &counts);
            let params = r#"{"n_estimators": 7, "bootstrap": false, "local_trees_mode": true, "random_state": 3}"#;
            let params: RandomForestClassifierParams = serde_json::from_str(params).unwrap();
            let fit = || {
                RandomForestClassifier::with_params(params.clone())
                    .comm(c.clone())
                    .fit(&x.slice(s![rows.clone(), ..]), &y.slice(s![rows.clone()]), None)
                    .map_err(|e| e.to_string())
            };
            let fitted = fit()?;
            ensure(fitted.estimators() == fit()?.estimators(), || {
                "the same seed and split gave another forest".into()
            })?;
            // Without bootstrap a tree's root weighs the rows of the rank that grew it: tree t
            // is the (t mod h)-th rank holding rows.
            let holders: Vec<usize> = (0..c.size()).filter(|&r| counts[r] > 0).collect();
            ensure(fitted.estimators().len() == 7, || "not 7 trees".into())?;
            for (t, tree) in fitted.estimators().iter().enumerate() {
                let owner = holders[t % holders.len()];
                let root = tree.weighted_n_node_samples[0];
                ensure(root == counts[owner] as f64, || {
                    format!("tree {t}: root weight {root}, rank {owner} holds {}", counts[owner])
                })?;
            }
            // Every rank holds the same trees: rank 0's, serialised, broadcast and compared.
            let mine: Vec<u8> = serde_json::to_vec(fitted.estimators()).unwrap();
            let mut size = vec![mine.len() as u64];
            c.broadcast(0, &mut size).map_err(|e| e.to_string())?;
            let mut theirs = if c.rank() == 0 { mine.clone() } else { vec![0; size[0] as usize] };
            c.broadcast(0, &mut theirs).map_err(|e| e.to_string())?;
            ensure(mine == theirs, || "ranks hold different forests".into())?;
            let oob = RandomForestClassifierParams {
                oob_score: true,
                ..params
            };
            let refused = RandomForestClassifier::with_params(oob)
                .comm(c.clone())
                .fit(&x.slice(s![rows.clone(), ..]), &y.slice(s![rows]), None);
            ensure(
                refused.is_err_and(|e| e.to_string().contains("local_trees_mode")),
                || "oob_score with local_trees_mode was not refused".into(),
            )
        },
    );
    h.run("NaN on the last rank is an error on every rank", |c| {
        let (x, y) = data::<i64>("multiclass");
        let rows = my_rows(c, &even(n_class));
        let mut mine = x.slice(s![rows.clone(), ..]).to_owned();
        if c.rank() + 1 == c.size() {
            mine[[0, 2]] = f64::NAN;
        }
        let outcome = RandomForestClassifier::new()
            .n_estimators(2)
            .comm(c.clone())
            .fit(&mine, &y.slice(s![rows]), None);
        let message = outcome.err().map(|e| e.to_string()).unwrap_or_default();
        ensure(message.contains("NaN"), || {
            format!("expected a NaN error, got {message:?}")
        })
    });
    h.finish();
}
