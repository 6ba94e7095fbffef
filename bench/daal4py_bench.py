"""oneDAL (daal4py) on the same workloads as examples/bench.rs.

    pip install scikit-learn-intelex   # brings daal4py
    python3 bench/daal4py_bench.py

Prints the best of 5 fits per workload, one process, with the threads oneDAL chooses.

    python3 bench/daal4py_bench.py --cli-files DIR [--repeats N]

times instead np.load + fit of the .npy files that `examples/bench.rs --cli` wrote into DIR
(the rows it prints beside the spmd-learn CLI's), each in a fresh process, with its peak RSS.
LogisticRegression and KNeighborsClassifier have no convenient daal4py entry point; they are
timed through scikit-learn-intelex (oneDAL underneath) and, for reference, scikit-learn.
KMeans is also timed in scikit-learn (Lloyd, the same given centres) for reference.
"""

import argparse
import pathlib
import resource
import subprocess
import sys
import time

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--cli-files", type=pathlib.Path)
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--one", help=argparse.SUPPRESS)
parser.add_argument("--only", help="comma-separated workload names (default: all)")
args = parser.parse_args()

if args.one:
    # One np.load + fit in this fresh process: seconds, then peak RSS in bytes.
    import daal4py

    d = args.cli_files
    start = time.perf_counter()
    if args.one == "linear":
        x = np.load(d / "linear_x_2000000x32.npy")
        y = np.load(d / "linear_y_2000000.npy").reshape(-1, 1)
        daal4py.linear_regression_training(interceptFlag=True).compute(x, y)
    else:
        x = np.load(d / "kmeans_x_1000000x32_f32.npy")
        centres = np.load(d / "kmeans_init_10x32.npy").astype(np.float32)
        daal4py.kmeans(nClusters=10, maxIterations=20, accuracyThreshold=0.0, fptype="float").compute(x, centres)
    seconds = time.perf_counter() - start
    print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    sys.exit(0)

if args.cli_files:
    for name, shape, file_bytes in [
        ("linear", "2000000 x 32 f64", 2_000_000 * 32 * 8),
        ("kmeans32", "1000000 x 32 f32", 1_000_000 * 32 * 4),
    ]:
        runs = []
        for _ in range(max(args.repeats, 1)):
            out = subprocess.run(
                [sys.executable, __file__, "--cli-files", str(args.cli_files), "--one", name],
                check=True, capture_output=True, text=True,
            ).stdout.split()
            runs.append((float(out[0]), int(out[1])))
        seconds = min(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        print(f"| 1 | {name} | {shape} | daal4py (np.load + fit) | {seconds:.3f} | {rss / 1e6:.0f} | {rss / file_bytes:.2f} |")
    sys.exit(0)

import daal4py

rng = np.random.default_rng(0)


def best(fit, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    return min(times)


workloads = [
    ("linear", 2_000_000, 32),
    ("linear", 200_000, 256),
    ("covariance", 1_000_000, 64),
    ("pca8", 1_000_000, 64),
    ("qr", 2_000_000, 32),
    ("kmeans", 1_000_000, 32),
    ("kmeans32", 1_000_000, 32),
    ("logreg", 500_000, 32),
    ("knn", 200_000, 32),
    ("knn32", 200_000, 32),
    ("dbscan", 50_000, 8),
    ("dbscan", 20_000, 64),
    ("dbscan", 1_000_000, 4),
    ("rfc", 100_000, 32),
    ("rfr", 100_000, 32),
]
if args.only:
    workloads = [w for w in workloads if w[0] in args.only.split(",")]
for name, rows, cols in workloads:
    x = rng.random((rows, cols)) - 0.5
    if name in ("rfc", "rfr"):
        # RandomForestClassifier / RandomForestRegressor (max_features=1.0), 50 trees,
        # random_state=0, on make_classification / make_regression rows (16 informative); the
        # rows are written to bench-data/ for examples/bench.rs. scikit-learn runs once (its
        # regressor takes minutes), scikit-learn-intelex the best of 3.
        from sklearn.datasets import make_classification, make_regression
        from sklearn.ensemble import RandomForestClassifier as SkRFC, RandomForestRegressor as SkRFR
        from sklearnex.ensemble import RandomForestClassifier, RandomForestRegressor

        make = make_classification if name == "rfc" else make_regression
        x, y = make(n_samples=rows, n_features=cols, n_informative=16, random_state=0)
        kind = "clf" if name == "rfc" else "reg"
        pathlib.Path("bench-data").mkdir(exist_ok=True)
        np.save(f"bench-data/forest_{kind}_{rows}x{cols}_x.npy", x)
        np.save(f"bench-data/forest_{kind}_{rows}x{cols}_y.npy", y.astype(np.int64) if name == "rfc" else y)
        extra = {} if name == "rfc" else {"max_features": 1.0}
        sk, ex = (SkRFC, RandomForestClassifier) if name == "rfc" else (SkRFR, RandomForestRegressor)
        reference = best(lambda: sk(n_estimators=50, random_state=0, n_jobs=-1, **extra).fit(x, y), 1)
        print(f"| - | {name} | {rows} x {cols} | scikit-learn | {reference:.3f} | - |")
        seconds = best(lambda: ex(n_estimators=50, random_state=0, **extra).fit(x, y), 3)
    elif name == "linear":
        y = (x.sum(axis=1) + rng.random(rows) - 0.5).reshape(-1, 1)
        seconds = best(lambda: daal4py.linear_regression_training(interceptFlag=True).compute(x, y))
    elif name == "covariance":
        seconds = best(lambda: daal4py.covariance().compute(x))
    elif name == "pca8":
        seconds = best(lambda: daal4py.pca(method="correlationDense", nComponents=8, resultsToCompute="mean|variance|eigenvalue").compute(x))
    elif name == "qr":
        seconds = best(lambda: daal4py.qr().compute(x))
    elif name in ("knn", "knn32"):
        # KNeighborsClassifier (k = 5, brute force) fitted on the rows, predicting 10,000 other
        # rows, as examples/bench.rs runs it: scikit-learn, and scikit-learn-intelex (oneDAL);
        # knn32 on float32 rows and queries.
        from sklearn.neighbors import KNeighborsClassifier as SkKNeighborsClassifier
        from sklearnex.neighbors import KNeighborsClassifier

        labels = (x.sum(axis=1) > 0).astype(np.int64)
        queries = rng.random((10_000, cols)) - 0.5
        if name == "knn32":
            x, queries = x.astype(np.float32), queries.astype(np.float32)
        knn = lambda cls: lambda: cls(n_neighbors=5, algorithm="brute").fit(x, labels).predict(queries)
        reference = best(knn(SkKNeighborsClassifier))
        print(f"| - | {name} | {rows} x {cols} | scikit-learn | {reference:.3f} | - |")
        seconds = best(knn(KNeighborsClassifier))
    elif name == "dbscan":
        # make_blobs(centers=10, random_state=0), min_samples = 5, eps by width (as
        # examples/bench.rs); the rows are written to bench-data/ for the Rust bench to read.
        from sklearn.cluster import DBSCAN as SkDBSCAN
        from sklearn.datasets import make_blobs
        from sklearnex.cluster import DBSCAN

        x, _ = make_blobs(n_samples=rows, n_features=cols, centers=10, random_state=0)
        pathlib.Path("bench-data").mkdir(exist_ok=True)
        np.save(f"bench-data/dbscan_{rows}x{cols}.npy", x)
        eps = {4: 0.1, 8: 2.0}.get(cols, 9.5)
        if rows <= 100_000:
            reference = best(lambda: SkDBSCAN(eps=eps, min_samples=5).fit(x))
            print(f"| - | {name} | {rows} x {cols} | scikit-learn | {reference:.3f} | - |")
        seconds = best(lambda: DBSCAN(eps=eps, min_samples=5).fit(x))
    elif name == "logreg":
        # Binary labels drawn with probability sigmoid(row sum), as examples/bench.rs draws them;
        # scikit-learn's defaults (lbfgs, C = 1, tol = 1e-4).
        from sklearn.linear_model import LogisticRegression as SkLogisticRegression
        from sklearnex.linear_model import LogisticRegression

        labels = (rng.random(rows) < 1.0 / (1.0 + np.exp(-x.sum(axis=1)))).astype(np.float64)
        reference = best(lambda: SkLogisticRegression().fit(x, labels))
        print(f"| - | {name} | {rows} x {cols} | scikit-learn | {reference:.3f} | {rows * cols * 8 / reference / 1e9:.1f} |")
        seconds = best(lambda: LogisticRegression().fit(x, labels))
    else:
        # k = 10, 20 Lloyd iterations from given centres, as examples/bench.rs runs it.
        data = x if name == "kmeans" else x.astype(np.float32)
        centres = data[:10].copy()
        from sklearn.cluster import KMeans

        reference = best(lambda: KMeans(10, init=centres, n_init=1, max_iter=20, tol=0.0, algorithm="lloyd").fit(data))
        print(f"| - | {name} | {rows} x {cols} | scikit-learn | {reference:.3f} | {rows * cols * data.itemsize / reference / 1e9:.1f} |")
        algorithm = daal4py.kmeans(nClusters=10, maxIterations=20, accuracyThreshold=0.0, fptype="double" if name == "kmeans" else "float")
        seconds = best(lambda: algorithm.compute(data, centres))
    library = "scikit-learn-intelex (oneDAL)" if name in ("logreg", "knn", "knn32", "dbscan", "rfc", "rfr") else "daal4py (oneDAL)"
    print(f"| - | {name} | {rows} x {cols} | {library} | {seconds:.3f} | {rows * cols * 8 / seconds / 1e9:.1f} |")
