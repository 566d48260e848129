"""PyTorch baseline for bench/cpu-train: the median time of one training step (forward,
cross-entropy, backward, Adam) at batch 64 for the same LeNet-5 and ResNet-20 that
run.ts builds from .cnn text, and at batch 4 for torchvision's ResNet-50 (224×224). Prints one JSON object: {"torch": version, "threads": n,
"lenet5": {"median_ms": ..., "samples": [...]}, "resnet20": {...}}, times in ms.

Usage: /usr/bin/python3 bench/cpu-train/torch_step.py [steps] [threads] [models]
(models: a comma-separated subset of lenet5,resnet20,resnet50; default all three)
"""

import json
import statistics
import sys
import time

import torch
import torchvision
from torch import nn


def lenet5() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


class BasicBlock(nn.Module):
    """He et al.'s CIFAR block with a 1x1 conv + BN shortcut where the shape changes,
    as cnnc's `shortcut auto` builds it."""

    def __init__(self, inp: int, out: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(inp, out, 3, stride, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU(),
            nn.Conv2d(out, out, 3, 1, 1, bias=False), nn.BatchNorm2d(out),
        )
        self.shortcut = nn.Identity() if stride == 1 and inp == out else nn.Sequential(
            nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


def resnet20() -> nn.Module:
    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    inp = 16
    for channels, stride in [(16, 1), (32, 2), (64, 2)]:
        for block in range(3):
            layers.append(BasicBlock(inp, channels, stride if block == 0 else 1))
            inp = channels
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def time_steps(model: nn.Module, shape: tuple, steps: int, classes: int = 10) -> dict:
    torch.manual_seed(0)
    x = torch.randn(*shape)
    y = torch.randint(0, classes, (shape[0],))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(3):
        step()
    samples = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        samples.append((time.perf_counter() - start) * 1000)
    return {"median_ms": statistics.median(samples), "samples": samples}


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    models = sys.argv[3].split(",") if len(sys.argv) > 3 else ["lenet5", "resnet20", "resnet50"]
    torch.set_num_threads(threads)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    if "lenet5" in models:
        result["lenet5"] = time_steps(lenet5(), (64, 1, 28, 28), steps)
    if "resnet20" in models:
        result["resnet20"] = time_steps(resnet20(), (64, 3, 32, 32), max(steps // 2, 5))
    if "resnet50" in models:
        # torchvision's resnet50 is what examples/resnet50.cnn mirrors; 1,000 classes, batch 4.
        result["resnet50"] = time_steps(torchvision.models.resnet50(), (4, 3, 224, 224), max(steps // 7, 3), classes=1000)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
