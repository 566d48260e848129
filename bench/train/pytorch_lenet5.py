#!/usr/bin/python3
"""The PyTorch 1.13 baseline for `cnnc train examples/lenet5.cnn --data fashion-mnist`:
the same LeNet-5 (tanh, average pooling, 28x28 padded to 32x32, pixels scaled to [0, 1]),
Adam 1e-3, batch 64, on the full Fashion-MNIST from /usr/share/datasets/fashion-mnist.
Prints one JSON line per epoch: epoch, seconds, test accuracy.

    /usr/bin/python3 bench/train/pytorch_lenet5.py [EPOCHS] [THREADS]
"""
import gzip, json, sys, time
import numpy as np
import torch
import torch.nn as nn

EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
torch.manual_seed(42)
ROOT = "/usr/share/datasets/fashion-mnist"

def idx(name, offset):
    with gzip.open(f"{ROOT}/{name}.gz") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)

def images(split):
    x = idx(f"{split}-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    return torch.from_numpy(np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2))))

x_train, y_train = images("train"), torch.from_numpy(idx("train-labels-idx1-ubyte", 8).astype(np.int64))
x_test, y_test = images("t10k"), torch.from_numpy(idx("t10k-labels-idx1-ubyte", 8).astype(np.int64))

model = nn.Sequential(
    nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
    nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
    nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
generator = torch.Generator().manual_seed(42)
for epoch in range(1, EPOCHS + 1):
    start = time.perf_counter()
    model.train()
    order = torch.randperm(len(x_train), generator=generator)
    for i in range(0, len(order), 64):
        batch = order[i:i + 64]
        optimizer.zero_grad()
        loss = loss_fn(model(x_train[batch]), y_train[batch])
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(json.dumps({"epoch": epoch, "seconds": round(seconds, 2), "test_accuracy": round(accuracy, 4)}), flush=True)
