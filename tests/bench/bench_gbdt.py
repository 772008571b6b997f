"""bench_gbdt.py — the peer for bench_gbdt: scikit-learn's HistGradientBoostingClassifier on
the SAME rows, read from the tide checkpoint bench_gbdt.lua wrote (format: engine/checkpoint.c).
Matched settings: max_iter 100, learning_rate 0.1, max_leaf_nodes 31, max_depth None, max_bins
255, min_samples_leaf 20, l2_regularization 0, early_stopping False.
Usage: bench_gbdt.py DATA.ckpt THREADS -> one RESULT line (threads via OMP_NUM_THREADS, which
must be set by the caller before Python starts)."""
import struct
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score


def read_ckpt(path):
    b = open(path, "rb").read()
    assert b[:8] == b"TIDECKPT", "not a tide checkpoint"
    _, _, nt, _ = struct.unpack_from("<IIII", b, 8)
    pos, out = 24, {}
    for _ in range(nt):
        (ln,) = struct.unpack_from("<I", b, pos)
        name = b[pos + 4:pos + 4 + ln].decode()
        pos += 4 + ln
        dt, nd = struct.unpack_from("<II", b, pos)
        pos += 8
        shape = struct.unpack_from("<%dQ" % nd, b, pos)
        pos += 8 * nd
        (nbytes,) = struct.unpack_from("<Q", b, pos)
        pos += 12  # length + crc
        dtype = {0: "<f4", 1: "<i4", 2: "<i8"}[dt]
        out[name] = np.frombuffer(b, dtype, nbytes // np.dtype(dtype).itemsize, pos).reshape(shape)
        pos += nbytes
    return out


def main():
    data = read_ckpt(sys.argv[1])
    threads = sys.argv[2]
    clf = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=31,
                                         max_depth=None, max_bins=255, min_samples_leaf=20,
                                         l2_regularization=0.0, early_stopping=False, random_state=0)
    t0, c0 = time.perf_counter(), time.process_time()
    clf.fit(data["X_train"], data["y_train"].astype(np.int32))
    t1, c1 = time.perf_counter(), time.process_time()
    p = clf.predict_proba(data["X_test"])[:, 1]
    t2 = time.perf_counter()
    print("RESULT sklearn threads=%s train_s=%.3f cpu_s=%.3f auc=%.5f pred_s=%.3f" %
          (threads, t1 - t0, c1 - c0, roc_auc_score(data["y_test"], p), t2 - t1))


if __name__ == "__main__":
    main()
