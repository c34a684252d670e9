#!/usr/bin/env python3
"""The PyTorch side of `dotnet run -c Release --project tests/NetDsl.Benchmarks -- vs-pytorch`.

The C# benchmark exports a generated NetDsl module's state_dict, the batch and the settings
(NetDsl.Benchmarks.TensorExport: index.json + tensors.bin of raw little-endian values), starts this
script once per model and drives it over stdin/stdout, one command per line, one JSON reply per line:

  (start)     -> {"torch": version, "threads": ..., "interop_threads": ..., "omp_wait_policy": ..., ...}
  check       -> one training step; {"loss": loss before the update, "logits": first output, flattened}
  evalcheck   -> one eval-mode forward pass under no_grad (the model goes back to train mode); {"logits": output, flattened}
  evals N     -> N such eval passes; {"ms", "cpu_ms", "minor_faults"} as for steps
  phase       -> one training step timed in phases; {"forward_ms" (zero_grad, forward, loss), "backward_ms", "update_ms"}
  steps N     -> N training steps; {"ms": wall time of the N steps (time.perf_counter), "cpu_ms": CPU time of all threads,
                 "minor_faults": page faults served without I/O, mostly first touches of freshly mapped memory}
  quit        -> exits

A training step is the same as on the C# side: zero_grad, forward (train mode), cross-entropy (ResNet-20)
or MSE (residual MLP), backward, SGD with momentum 0.9 (lr from index.json: 0.01, 1e-4 for the MLP).
The model is re-declared here with the generated module's sub-module names, so
load_state_dict(strict=True) checks every key and shape. It is written as torchvision writes its ResNets:
ReLU(inplace=True) and `out += identity`, the fastest eager PyTorch for these blocks (what NetDsl's generated
training path does too; the out-of-place version of this file was 2.7-2.8% slower per step, measured 2026-12-01).
Usage: python3 training_step.py EXPORT_DIR   (OMP_WAIT_POLICY must be in the environment; threads from index.json)
The C# side sets LD_LIBRARY_PATH from NETDSL_PYTORCH_BLAS for this process, to replace Debian's reference BLAS.
"""
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class CifarBlock(nn.Module):
    """NetDsl's CifarBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + zero-pad shortcut (He et al. 2015, option A)),
    with torchvision's in-place ReLU and residual addition."""

    def __init__(self, in_channels, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.stride = stride
        self.pad_channels = planes if stride != 1 or in_channels != planes else 0

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        shortcut = x
        if self.pad_channels:
            missing = self.pad_channels - x.shape[1]
            before = missing // 2
            sub = x[:, :, :: self.stride, :: self.stride]
            shortcut = F.pad(sub, (0, 0, 0, 0, before, missing - before))
        out += shortcut
        return self.relu(out)


class ResNet20(nn.Module):
    """NetDsl.Examples.ResNet20: 1x28x28 input, 16-32-64 channels, 3 blocks per stage, 10 classes."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = nn.ModuleList([CifarBlock(16, 16, 1), CifarBlock(16, 16, 1), CifarBlock(16, 16, 1)])
        self.layer2 = nn.ModuleList([CifarBlock(16, 32, 2), CifarBlock(32, 32, 1), CifarBlock(32, 32, 1)])
        self.layer3 = nn.ModuleList([CifarBlock(32, 64, 2), CifarBlock(64, 64, 1), CifarBlock(64, 64, 1)])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for stage in (self.layer1, self.layer2, self.layer3):
            for block in stage:
                x = block(x)
        return self.fc(self.avgpool(x).flatten(1))


class ResidualDenseBlock(nn.Module):
    """NetDsl.Examples.ResidualDenseBlock: relu(bn1(fc1(x)) + x)."""

    def __init__(self, width):
        super().__init__()
        self.fc1 = nn.Linear(width, width, bias=False)
        self.bn1 = nn.BatchNorm1d(width)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.bn1(self.fc1(x))
        out += x
        return self.relu(out)


class DeepResidualMlp(nn.Module):
    """NetDsl.Examples.DeepResidualMlp: scalar input, 50 residual units of width 200, scalar output."""

    def __init__(self):
        super().__init__()
        self.fc_in = nn.Linear(1, 200, bias=False)
        self.bn_fc_in = nn.BatchNorm1d(200)
        self.relu = nn.ReLU(inplace=True)
        self.layers = nn.ModuleList([ResidualDenseBlock(200) for _ in range(50)])
        self.fc_out = nn.Linear(200, 1)

    def forward(self, x):
        x = self.relu(self.bn_fc_in(self.fc_in(x)))
        for unit in self.layers:
            x = unit(x)
        return self.fc_out(x)


def load(directory):
    index = json.load(open(os.path.join(directory, "index.json")))
    raw = open(os.path.join(directory, "tensors.bin"), "rb").read()
    tensors = {}
    for e in index["tensors"]:
        dtype = {"float32": torch.float32, "int64": torch.int64}[e["dtype"]]
        count = 1
        for s in e["shape"]:
            count *= s
        t = torch.frombuffer(bytearray(raw), dtype=dtype, count=count, offset=e["offset"])
        tensors[e["name"]] = t.reshape(e["shape"]).clone()
    return index, tensors


def blas_library():
    """The libblas.so.3 this process loaded (Debian's python3-torch links the generic BLAS interface)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.split()[-1]}
        return ", ".join(sorted(os.path.realpath(p) for p in paths)) or "none loaded"
    except OSError:
        return "unknown"


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main(directory):
    index, tensors = load(directory)
    torch.set_num_threads(index["threads"])
    net = {"ResNet20": ResNet20, "DeepResidualMlp": DeepResidualMlp}[index["model"]]()
    state = {k[len("state."):]: v for k, v in tensors.items() if k.startswith("state.")}
    net.load_state_dict(state, strict=True)
    net.train()
    x, y = tensors["input"], tensors["target"]
    loss_fn = F.cross_entropy if index["loss"] == "cross_entropy" else F.mse_loss
    opt = torch.optim.SGD(net.parameters(), lr=index["lr"], momentum=index["momentum"])

    def step():
        opt.zero_grad()
        out = net(x)
        loss = loss_fn(out, y)
        loss.backward()
        opt.step()
        return out, loss

    reply({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "cpu_capability": next((l.split(":", 1)[1].strip() for l in torch.__config__.show().splitlines() if "CPU capability" in l), "unknown"),
        "blas": blas_library(),
        "parameters": sum(p.numel() for p in net.parameters()),
    })
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "check":
            out, loss = step()
            reply({"loss": float(loss), "logits": out.detach().reshape(-1).tolist()})
        elif cmd[0] == "evalcheck":
            net.eval()
            with torch.no_grad():
                out = net(x)
            net.train()
            reply({"logits": out.reshape(-1).tolist()})
        elif cmd[0] == "evals":
            n = int(cmd[1])
            net.eval()
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            start, cpu = time.perf_counter(), time.process_time()
            with torch.no_grad():
                for _ in range(n):
                    net(x)
            elapsed, cpu_ms = (time.perf_counter() - start) * 1000.0, (time.process_time() - cpu) * 1000.0
            net.train()
            reply({"ms": elapsed, "cpu_ms": cpu_ms, "minor_faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults})
        elif cmd[0] == "steps":
            n = int(cmd[1])
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            start, cpu = time.perf_counter(), time.process_time()
            for _ in range(n):
                step()
            reply({
                "ms": (time.perf_counter() - start) * 1000.0,
                "cpu_ms": (time.process_time() - cpu) * 1000.0,
                "minor_faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults,
            })
        elif cmd[0] == "phase":
            # One step timed in its phases: zero_grad, forward and loss; backward; the optimizer step.
            t0 = time.perf_counter()
            opt.zero_grad()
            loss = loss_fn(net(x), y)
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
            opt.step()
            t3 = time.perf_counter()
            reply({"forward_ms": (t1 - t0) * 1000.0, "backward_ms": (t2 - t1) * 1000.0, "update_ms": (t3 - t2) * 1000.0})
        elif cmd[0] == "quit":
            break
        else:
            reply({"error": f"unknown command {line.strip()}"})


if __name__ == "__main__":
    main(sys.argv[1])
