"""Saves seeded torchvision models' state_dicts and outputs, for the structural-matching
tests (test/pytorch/torchvision.test.ts) and bench/transfer/torchvision.ts.

Reads a JSON list of jobs on stdin, each {name, seed, state_dict, input, input_shape,
output}: builds torchvision.models.<name>(weights=None) under torch.manual_seed(seed) (or,
with `module`, that Python expression: a user's own network),
gives batchnorm random affine parameters and running statistics (they initialise to
constants, which would hide a mix-up), saves model.state_dict() with torch.save, runs the
NHWC float32 input from `input` in eval mode and writes the output (NHWC for maps).
Prints one JSON list of {name, params, seconds}."""
import json
import sys
import time

import numpy as np
import torch
import torchvision

torch.set_num_threads(2)
results = []
for job in json.load(sys.stdin):
    torch.manual_seed(job["seed"])
    if "module" in job:
        model = eval(job["module"], {"torch": torch, "nn": torch.nn})
    else:
        model = getattr(torchvision.models, job["name"])(weights=None, **job.get("kwargs", {}))
    generator = torch.Generator().manual_seed(job["seed"] + 1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.weight.copy_(torch.rand(module.weight.shape, generator=generator) + 0.5)
                module.bias.copy_(torch.rand(module.bias.shape, generator=generator) * 0.4 - 0.2)
                module.running_mean.copy_(torch.rand(module.running_mean.shape, generator=generator) * 0.4 - 0.2)
                module.running_var.copy_(torch.rand(module.running_var.shape, generator=generator) + 0.5)
    model.eval()
    torch.save(model.state_dict(), job["state_dict"])
    x = torch.from_numpy(np.fromfile(job["input"], dtype="<f4").reshape(job["input_shape"])).permute(0, 3, 1, 2).contiguous()
    started = time.time()
    with torch.no_grad():
        y = model(x)
    if y.dim() == 4:
        y = y.permute(0, 2, 3, 1)
    y.contiguous().numpy().astype("<f4").tofile(job["output"])
    results.append({"name": job["name"], "params": sum(p.numel() for p in model.parameters()), "seconds": time.time() - started})
print(json.dumps(results))
