"""HDBSCAN as users run it: `spmd-learn fit hdbscan` as a whole process on a .npy file, one
process and `mpirun -n 2`, next to scikit-learn's HDBSCAN (np.load + fit) in the same run.

    cargo build --release --features mpi -p spmd-cli
    python3 bench/hdbscan_bench.py target/release/spmd-learn [--rows 50000,200000] [--repeats 3]

Data: make_blobs(n, n_features=8, centers=10, cluster_std=[0.5, 1, 2, 0.5, 1, 2, 0.5, 1, 2, 3],
random_state=0), min_cluster_size=15, written once to bench-data/. Each cell is the best of
--repeats runs with its peak RSS; scikit-learn runs once per size up to --sklearn-max-rows (its
time grows with the square of the rows). The last column says whether the labels equal
scikit-learn's (where it ran), row for row.
"""

import argparse
import os
import pathlib
import resource
import subprocess
import sys
import time

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("binary", type=pathlib.Path)
parser.add_argument("--rows", default="50000,200000")
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--sklearn-max-rows", type=int, default=50_000)
parser.add_argument("--data-dir", type=pathlib.Path, default=pathlib.Path("bench-data"))
parser.add_argument("--one", help=argparse.SUPPRESS)
args = parser.parse_args()

if args.one:
    # np.load + scikit-learn's fit in this fresh process: seconds, peak RSS, then the labels.
    from sklearn.cluster import HDBSCAN

    start = time.perf_counter()
    x = np.load(args.one)
    labels = HDBSCAN(min_cluster_size=15, copy=True).fit(x).labels_
    seconds = time.perf_counter() - start
    np.save(args.one.replace(".npy", "_sklearn_labels.npy"), labels.astype(np.int64))
    print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    sys.exit(0)


def data(n):
    path = args.data_dir / f"hdbscan_{n}x8.npy"
    if not path.exists():
        from sklearn.datasets import make_blobs

        x, _ = make_blobs(n, n_features=8, centers=10,
                          cluster_std=[0.5, 1, 2, 0.5, 1, 2, 0.5, 1, 2, 3], random_state=0)
        args.data_dir.mkdir(exist_ok=True)
        np.save(path, x)
    return path


def timed(command):
    """Wall seconds and peak RSS (bytes) of one run: the largest of the process and the
    processes it waited for (under mpirun, its ranks)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed")
    return seconds, usage.ru_maxrss * 1024


print("| ranks | rows x features | who | load + fit s | peak RSS MB | labels = scikit-learn's |")
print("|---|---|---|---|---|---|")
mpirun = os.environ.get("SPMD_MPIRUN", "mpirun").split()
for n in [int(r) for r in args.rows.split(",")]:
    path = data(n)
    reference = None
    if n <= args.sklearn_max_rows:
        out = subprocess.run([sys.executable, __file__, str(args.binary), "--one", str(path)],
                             check=True, capture_output=True, text=True).stdout.split()
        # The same file, np.load + fit, in a fresh process.
        reference = np.load(str(path).replace(".npy", "_sklearn_labels.npy"))
        sk_line = f"| 1 | {n} x 8 | scikit-learn HDBSCAN | {float(out[0]):.2f} | {int(out[1]) / 1e6:.0f} | |"
    for ranks in (1, 2):
        labels = args.data_dir / "hdbscan_labels_{rank}.npy"
        command = [str(args.binary), "fit", "hdbscan", "--x", str(path), "--param",
                   "min_cluster_size=15", "--out", str(args.data_dir / "hdbscan.json"),
                   "--out-local", str(labels)]
        if ranks > 1:
            command = mpirun + ["-n", str(ranks)] + command
        runs = [timed(command) for _ in range(max(args.repeats, 1))]
        seconds = min(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        ours = np.concatenate([np.load(str(labels).replace("{rank}", str(r))).ravel()
                               for r in range(ranks)])
        same = "" if reference is None else ("yes" if np.array_equal(ours, reference)
                                             else f"{int((ours != reference).sum())} rows differ")
        print(f"| {ranks} | {n} x 8 | spmd-learn CLI | {seconds:.2f} | {rss / 1e6:.0f} | {same} |")
    if reference is not None:
        print(sk_line)
