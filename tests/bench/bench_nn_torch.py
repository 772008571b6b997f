"""bench_nn_torch.py — the PyTorch CPU peer of bench_nn.lua: the same two pre-norm
TransformerEncoderLayers (d_model 64, 2 heads, FFN 256, GELU, dropout 0.1, causal mask,
seq 200, batch 128, batch_first), the same GRU layer (64 -> 64, seq 200, batch 128) and
the same as an LSTM layer,
forward + backward of out.sum(), best of `reps` after a warm-up.
Prints: RESULT <name> <best wall ms> <peak RSS MB> <best CPU ms>.  Usage: bench_nn_torch.py threads [reps] [which]"""
import resource
import sys
import time

import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
which = sys.argv[3] if len(sys.argv) > 3 else "all"
torch.set_num_threads(threads)
torch.manual_seed(1)
B, L, D, H = 128, 200, 64, 2


def best_of(step):
    """best wall and best process-CPU time over reps, in ms"""
    step()
    best = best_cpu = float("inf")
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best * 1000, best_cpu * 1000


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if which in ("all", "transformer"):
    layers = torch.nn.ModuleList([
        torch.nn.TransformerEncoderLayer(D, H, dim_feedforward=4 * D, dropout=0.1,
                                         activation="gelu", batch_first=True, norm_first=True)
        for _ in range(2)])
    layers.train()
    x = torch.randn(B, L, D)
    causal = torch.triu(torch.full((L, L), float("-inf")), diagonal=1)

    def step():
        layers.zero_grad(set_to_none=True)
        y = x
        for layer in layers:
            y = layer(y, src_mask=causal)
        y.sum().backward()

    ms, cpu = best_of(step)
    print("RESULT transformer %.1f %.0f %.1f" % (ms, rss_mb(), cpu), flush=True)

if which in ("all", "gru"):
    gru = torch.nn.GRU(D, D, batch_first=True)
    x = torch.randn(B, L, D)

    def step():
        gru.zero_grad(set_to_none=True)
        out, _ = gru(x)
        out.sum().backward()

    ms, cpu = best_of(step)
    print("RESULT gru %.1f %.0f %.1f" % (ms, rss_mb(), cpu), flush=True)

if which in ("all", "lstm"):
    lstm = torch.nn.LSTM(D, D, batch_first=True)
    x = torch.randn(B, L, D)

    def step():
        lstm.zero_grad(set_to_none=True)
        out, _ = lstm(x)
        out.sum().backward()

    ms, cpu = best_of(step)
    print("RESULT lstm %.1f %.0f %.1f" % (ms, rss_mb(), cpu), flush=True)
