#!/usr/bin/env python3
"""Cross-check NetDsl's measurements against PyTorch on the same weights.

Reads a JSON file written by the NetDsl test `CrossCheckTests` (weights of a small tanh MLP, the grid,
a batch, and NetDsl's results), recomputes in PyTorch:
  - the input gradients on the grid and their autocorrelation (Balduzzi et al. 2017),
  - one Santurkar et al. 2018 probe (losses along -g, gradient changes, effective beta-smoothness),
and prints the largest absolute difference of each; exits 1 if any exceeds the tolerance (1e-4).
Usage: python3 crosscheck.py results.json
"""
import json
import sys

import torch


def acf(g, max_lag):
    m = g.mean()
    d = ((g - m) ** 2).sum()
    return [float(((g[: len(g) - k] - m) * (g[k:] - m)).sum() / d) for k in range(max_lag + 1)]


def main(path):
    data = json.load(open(path))
    torch.set_default_dtype(torch.float64)
    layers = []
    for i, layer in enumerate(data["layers"]):
        lin = torch.nn.Linear(len(layer["weight"][0]), len(layer["weight"]))
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(layer["weight"]))
            lin.bias.copy_(torch.tensor(layer["bias"]))
        layers.append(lin)
        if i < len(data["layers"]) - 1:
            layers.append(torch.nn.Tanh())
    net = torch.nn.Sequential(*layers)

    # Shattered gradients: df/dx at each grid point, then the ACF.
    x = torch.tensor(data["grid"]).reshape(-1, 1).requires_grad_(True)
    (g,) = torch.autograd.grad(net(x).sum(), x)
    g = g.reshape(-1)
    grad_diff = float((g - torch.tensor(data["gradients"])).abs().max())
    acf_diff = max(abs(a - b) for a, b in zip(acf(g, len(data["acf"]) - 1), data["acf"]))

    # Santurkar et al. probe on the batch: L = mean squared error.
    bx = torch.tensor(data["batch_x"])
    by = torch.tensor(data["batch_y"])
    params = list(net.parameters())

    def loss_and_grad():
        loss = torch.nn.functional.mse_loss(net(bx), by)
        return float(loss), [t.detach() for t in torch.autograd.grad(loss, params)]

    _, g0 = loss_and_grad()
    w0 = [p.detach().clone() for p in params]
    g_norm = torch.sqrt(sum((t ** 2).sum() for t in g0))
    losses, changes, beta = [], [], 0.0
    for eta in data["etas"]:
        with torch.no_grad():
            for p, w, t in zip(params, w0, g0):
                p.copy_(w - eta * t)
        l, gk = loss_and_grad()
        change = float(torch.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(gk, g0))))
        losses.append(l)
        changes.append(change)
        beta = max(beta, change / (eta * float(g_norm)))
    loss_diff = max(abs(a - b) for a, b in zip(losses, data["losses"]))
    change_diff = max(abs(a - b) for a, b in zip(changes, data["gradient_changes"]))
    beta_diff = abs(beta - data["beta"])

    tolerance = 1e-4
    results = {
        "input gradients": grad_diff,
        "ACF": acf_diff,
        "Santurkar losses": loss_diff,
        "Santurkar gradient changes": change_diff,
        "effective beta-smoothness": beta_diff,
    }
    print(f"PyTorch {torch.__version__}: largest absolute differences from NetDsl (tolerance {tolerance}):")
    for name, diff in results.items():
        print(f"  {name}: {diff:.3e}")
    ok = all(d <= tolerance for d in results.values())
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
