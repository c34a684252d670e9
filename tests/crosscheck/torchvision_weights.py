"""PyTorch side of the weight round trip (tests/NetDsl.Tests/Interop/PyTorchWeightsTests.cs).

  torchvision_weights.py export DIR   torchvision's resnet18() at seed 0 -> DIR/resnet18.pt (its state_dict, saved with
                                      torch.save) and DIR/probe.pt ({"x": [2, 3, 224, 224], "logits": [2, 1000]} in eval mode)
  torchvision_weights.py import DIR   loads DIR/netdsl.pt (a NetDsl module's state_dict) into resnet18() with strict=True and
                                      writes DIR/netdsl_logits.pt ({"logits": ...} for DIR/probe.pt's x)
  torchvision_weights.py checkpoint DIR  writes DIR/checkpoint.pt, a training checkpoint dictionary (not a bare state_dict)
"""
import sys

import torch
import torchvision

torch.set_num_threads(1)
mode, folder = sys.argv[1], sys.argv[2]
if mode == "export":
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    torch.save(model.state_dict(), f"{folder}/resnet18.pt")
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.save({"x": x, "logits": model(x)}, f"{folder}/probe.pt")
elif mode == "import":
    model = torchvision.models.resnet18()
    model.load_state_dict(torch.load(f"{folder}/netdsl.pt"), strict=True)
    model.eval()
    x = torch.load(f"{folder}/probe.pt")["x"]
    with torch.no_grad():
        torch.save({"logits": model(x)}, f"{folder}/netdsl_logits.pt")
elif mode == "checkpoint":
    model = torch.nn.Linear(3, 2)
    torch.save({"epoch": 3, "state_dict": model.state_dict()}, f"{folder}/checkpoint.pt")
else:
    sys.exit(f"unknown mode {mode}")
print("OK")
