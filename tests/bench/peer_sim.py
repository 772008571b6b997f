"""peer_sim.py — the pandas peer for bench_sim.sh: writes N rows with the simulator's columns
(user_id,item_id,category_id,behavior,timestamp,price,dwell) from vectorised numpy draws with
DataFrame.to_csv, plain and gzip (level 1), and prints rows/s. It draws independent rows (no
visit process, funnel or truth), so it is a lower bound on the work Tide's simulator does:
pure "make rows and serialise them" throughput.
usage: peer_sim.py N OUT_DIR"""
import sys
import time

import numpy as np
import pandas as pd


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    c0 = time.process_time()
    beh = np.array(["pv", "click", "cart", "fav", "buy"])
    df = pd.DataFrame({
        "user_id": rng.integers(1, n // 100 + 2, n),
        "item_id": rng.zipf(1.5, n) % 5000 + 1,
        "category_id": rng.integers(1, 21, n),
        "behavior": beh[rng.choice(5, n, p=[0.68, 0.2, 0.07, 0.03, 0.02])],
        "timestamp": 1704067200 + rng.integers(0, 90 * 86400, n),
        "price": np.round(np.exp(rng.normal(3.4, 0.8, n)), 2),
        "dwell": rng.integers(1, 300, n),
    })
    gen = time.perf_counter() - t0
    gen_cpu = time.process_time() - c0
    for name, kw in (("plain", {}), ("gzip1", {"compression": {"method": "gzip", "compresslevel": 1}})):
        path = f"{out}/peer_{name}.csv" + (".gz" if kw else "")
        t1, c1 = time.perf_counter(), time.process_time()
        df.to_csv(path, index=False, float_format="%.2f", **kw)
        dt = time.perf_counter() - t1 + gen
        cpu = time.process_time() - c1 + gen_cpu
        print(f"RESULT peer_{name}_s={dt:.3f} peer_{name}_rows_per_s={n / dt:.0f} peer_{name}_cpu_s={cpu:.3f}")


if __name__ == "__main__":
    main()
