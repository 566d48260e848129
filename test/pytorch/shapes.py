"""Computes output shapes with PyTorch for the cases on stdin (JSON), for the shape-rule
cross-check in test/pytorch-shapes.test.ts. Prints one JSON list: [C, H, W] or "error"."""
import json
import sys

import torch
import torch.nn as nn

torch.set_num_threads(1)
cases = json.load(sys.stdin)
out = []
with torch.no_grad():
    for case in cases:
        h, w, c = case["input"]
        x = torch.zeros(1, c, h, w)
        kind = case["op"]
        try:
            if kind == "conv":
                layer = nn.Conv2d(c, case["filters"], case["kernel"], stride=case["stride"], padding=case["padding"], dilation=case["dilation"], groups=case["groups"])
            elif kind == "transposed_conv":
                layer = nn.ConvTranspose2d(c, case["filters"], case["kernel"], stride=case["stride"], padding=case["padding"], output_padding=case["output_padding"])
            elif kind == "maxpool":
                layer = nn.MaxPool2d(case["kernel"], stride=case["stride"], padding=case["padding"], ceil_mode=case["ceil_mode"])
            elif kind == "avgpool":
                layer = nn.AvgPool2d(case["kernel"], stride=case["stride"], padding=case["padding"], ceil_mode=case["ceil_mode"])
            else:
                raise ValueError(kind)
            y = layer(x)
            out.append([int(y.shape[2]), int(y.shape[3]), int(y.shape[1])])
        except (RuntimeError, ValueError):
            out.append("error")
print(json.dumps(out))
