"""peer_eval.py — the peer for bench_eval.lua: the same data, leave-last split, formula scores and
full-ranking HR/NDCG/MRR@10 with seen exclusion, in PyTorch (vectorised per block, the usual way
RecBole-style evaluators do it). Prints a RESULT line with the metric time."""
import gzip, math, sys, time
import torch

torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
path = sys.argv[1]
D = 32
users, items = [], []
with gzip.open(path, "rt") as f:
    for line in f:
        p = line.split()
        if len(p) >= 2:
            users.append(int(p[0])); items.append(int(p[1]))
U, I = max(users), max(items)
last = {}
for e, u in enumerate(users):
    last[u] = e
seen = [[] for _ in range(U + 1)]
target = [0] * (U + 1)
pop = [0] * (I + 1)
for e, (u, i) in enumerate(zip(users, items)):
    if last[u] == e:
        target[u] = i
    else:
        seen[u].append(i); pop[i] += 1
eu = torch.tensor([[((u * 131 + j * 71) % 101) / 50.5 - 1 for j in range(1, D + 1)] for u in range(1, U + 1)], dtype=torch.float32) / D
ei = torch.tensor([[((i * 113 + j * 37) % 97) / 48.5 - 1 for j in range(1, D + 1)] for i in range(1, I + 1)], dtype=torch.float32)
bias = torch.log1p(torch.tensor(pop[1:], dtype=torch.float32)) * 0.05
B = 1024
t_score = t_metric = t_topk = 0.0
hr = ndcg = mrr = 0.0
for u0 in range(1, U + 1, B):
    nb = min(B, U - u0 + 1)
    a = time.perf_counter()
    S = eu[u0 - 1:u0 - 1 + nb] @ ei.T + bias
    b = time.perf_counter()
    rows, cols = [], []
    for k in range(nb):
        s = seen[u0 + k]
        rows.extend([k] * len(s)); cols.extend(x - 1 for x in s)
    tg = torch.tensor([target[u0 + k] - 1 for k in range(nb)])
    ts = S[torch.arange(nb), tg].clone()
    S[torch.tensor(rows, dtype=torch.long), torch.tensor(cols, dtype=torch.long)] = -math.inf
    rank = (S > ts[:, None]).sum(1).double()
    hit = rank < 10
    hr += hit.double().sum().item()
    ndcg += torch.where(hit, 1.0 / torch.log2(rank + 2), torch.zeros_like(rank)).sum().item()
    mrr += (1.0 / (rank + 1)).sum().item()
    c = time.perf_counter()
    torch.topk(S, 10, dim=1)
    d = time.perf_counter()
    t_score += b - a; t_metric += c - b; t_topk += d - c
print("peer  HR@10=%.5f NDCG@10=%.5f MRR=%.5f users=%d" % (hr / U, ndcg / U, mrr / U, U))
print("peer  scoring %.3f s | metric %.3f s | top-10 %.3f s (torch %s, %d thread(s))" % (t_score, t_metric, t_topk, torch.__version__, torch.get_num_threads()))
print("RESULT peer_metric_s=%.4f peer_topk_s=%.4f ndcg=%.6f" % (t_metric, t_topk, ndcg / U))
