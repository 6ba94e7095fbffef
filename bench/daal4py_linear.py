"""oneDAL (daal4py) LinearRegression on the same problem sizes as examples/bench_linear.rs.

    pip install scikit-learn-intelex   # brings daal4py
    python3 bench/daal4py_linear.py

Prints the best of 5 fits per size, one process, all cores oneDAL chooses.
"""

import time

import daal4py
import numpy as np

rng = np.random.default_rng(0)
for rows, cols in [(2_000_000, 32), (200_000, 256)]:
    x = rng.random((rows, cols)) - 0.5
    y = (x.sum(axis=1) + rng.random(rows) - 0.5).reshape(-1, 1)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        daal4py.linear_regression_training(interceptFlag=True, method="defaultDense").compute(x, y)
        best = min(best, time.perf_counter() - start)
    print(f"| daal4py | {rows} x {cols} | {best:.3f} s | {rows * (cols + 1) * 8 / best / 1e9:.1f} GB/s |")
