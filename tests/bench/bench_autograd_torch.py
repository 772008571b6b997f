# bench_autograd_torch.py — PyTorch peer of bench_autograd.lua (same shapes and steps).
# Usage: python3 bench_autograd_torch.py <threads> <reps>; prints "RESULT <name> <best ms>".
import sys
import time

import torch

threads, reps = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(1)


def best_of(step, inner):
    step()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            step()
        best = min(best, (time.perf_counter() - t0) / inner)
    return best * 1000


def p(*shape):
    return (torch.randn(*shape) * 0.05).requires_grad_()


W1, b1, W2, b2, W3, b3 = p(64, 256), p(256), p(256, 256), p(256), p(256, 1), p(1)
X, Y = torch.randn(256, 64), torch.randn(256, 1)
opt = torch.optim.Adam([W1, b1, W2, b2, W3, b3], lr=1e-3)


def mlp_step():
    opt.zero_grad()
    h = (X @ W1 + b1).relu()
    h = (h @ W2 + b2).tanh()
    loss = (h @ W3 + b3 - Y).square().mean()
    loss.backward()
    opt.step()


print("RESULT mlp_step %.4f" % best_of(mlp_step, 50))

x = torch.randn(512, 512).requires_grad_()
a, b = torch.randn(512), torch.randn(512, 1)


def elementwise():
    x.grad = None
    y = (x * a + b).tanh() * x.sigmoid() + x.square() * 0.5
    y.logsumexp(1).sum().backward()


print("RESULT elementwise %.4f" % best_of(elementwise, 10))

xs = torch.randn(16).requires_grad_()


def tiny():
    xs.grad = None
    y = xs
    for _ in range(10):
        y = (y * 0.9 + 0.1).tanh()
    y.sum().backward()


print("RESULT tiny_chain %.4f" % best_of(tiny, 500))

ps = [torch.randn(125000).requires_grad_() for _ in range(8)]
for t in ps:
    t.sum().backward()
adam = torch.optim.Adam(ps, lr=1e-3)
print("RESULT adam_1m %.4f" % best_of(adam.step, 20))
