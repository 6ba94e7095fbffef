"""The Parquet bench row: LinearRegression from a 2,000,000 x 32 f64 Parquet file.

Run from the repository root after `bench --cli target/release/spmd-learn` has written
bench-data/linear_x_2000000x32.npy and bench-data/linear_y_2000000.npy:

    python3 bench/parquet_bench.py [--write]

With --write it first writes them as bench-data/linear_x.parquet and linear_y.parquet (snappy,
row groups of 131,072 rows). It then prints the peer's time for the same work as the CLI's
`spmd-learn fit linear-regression --x bench-data/linear_x.parquet --y bench-data/linear_y.parquet`:
pyarrow.parquet.read_table of both files, their columns stacked into numpy arrays, and
daal4py's fit (best of 3).
"""

import sys
import time

import daal4py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

if "--write" in sys.argv:
    x = np.load("bench-data/linear_x_2000000x32.npy")
    y = np.load("bench-data/linear_y_2000000.npy").ravel()
    pq.write_table(pa.table({f"f{j}": x[:, j] for j in range(x.shape[1])}),
                   "bench-data/linear_x.parquet", row_group_size=131_072, compression="snappy")
    pq.write_table(pa.table({"y": y}), "bench-data/linear_y.parquet", row_group_size=131_072,
                   compression="snappy")

best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    table = pq.read_table("bench-data/linear_x.parquet")
    x = np.column_stack([c.to_numpy() for c in table.columns])
    y = pq.read_table("bench-data/linear_y.parquet").column(0).to_numpy().reshape(-1, 1)
    daal4py.linear_regression_training(interceptFlag=True).compute(x, y)
    best = min(best, time.perf_counter() - start)
print(f"pyarrow read_table + daal4py fit: {best:.3f} s")
