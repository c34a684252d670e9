"""PyTorch side of the PyTorch-source check (tests/NetDsl.Tests/Interop/PyTorchSourceTests.cs).

  pytorch_source.py DIR NAME...

For each NAME: executes DIR/NAME.py (a network's generated PyTorchSource) and builds its network class (the last class in
the file), loads DIR/NAME.pt (the C# module's weights, saved with PyTorchWeights.Save) with strict=True, and runs
DIR/NAME.in.pt's batch x in train or eval mode ({"x", "w", "train"}; a float64 x runs the model in float64): loss = (model(x) * w).sum(), backward. Writes
DIR/NAME.out.pt ({"logits", "grad.<parameter>" for every parameter, "state.<key>" for the state_dict after the pass,
"eval_logits" in eval mode afterwards}) and DIR/NAME.json ({"class", "parameters", "keys" in state_dict order, "parameter_keys" in named_parameters order}).
"""
import json
import re
import sys

import torch

torch.set_num_threads(1)
folder, names = sys.argv[1], sys.argv[2:]
for name in names:
    with open(f"{folder}/{name}.py", encoding="utf-8") as f:
        source = f.read()
    cls = re.findall(r"^class (\w+)\(nn\.Module\):", source, re.M)[-1]
    namespace = {"__name__": name}
    exec(compile(source, f"{name}.py", "exec"), namespace)
    model = namespace[cls]()
    batch = torch.load(f"{folder}/{name}.in.pt")
    if batch["x"].dtype == torch.float64:
        model.double()  # before loading, so that the float64 weights are not rounded to float32
    model.load_state_dict(torch.load(f"{folder}/{name}.pt"), strict=True)
    model.train(bool(batch["train"].item()))
    logits = model(batch["x"])
    (logits * batch["w"]).sum().backward()
    out = {"logits": logits.detach()}
    for key, p in model.named_parameters():
        out["grad." + key] = p.grad
    for key, t in model.state_dict().items():
        out["state." + key] = t
    model.eval()
    with torch.no_grad():
        out["eval_logits"] = model(batch["x"])
    torch.save(out, f"{folder}/{name}.out.pt")
    with open(f"{folder}/{name}.json", "w", encoding="utf-8") as f:
        json.dump({"class": cls, "parameters": sum(p.numel() for p in model.parameters()), "keys": list(model.state_dict()),
                   "parameter_keys": [key for key, _ in model.named_parameters()]}, f)
print("OK")
