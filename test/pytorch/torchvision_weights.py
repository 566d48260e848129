"""Saves seeded torchvision models' state_dicts and outputs, for the structural-matching
tests (test/pytorch/torchvision.test.ts) and bench/transfer/torchvision.ts.

Reads a JSON list of jobs on stdin, each {name, seed, state_dict, input, input_shape,
output, and optionally output64 for a float64 forward}: builds torchvision.models.<name>(weights=None) under torch.manual_seed(seed) (or,
with `module`, that Python expression: a user's own network),
gives batchnorm random affine parameters and calibrated running statistics (see
`calibrate`), saves model.state_dict() with torch.save, runs the NHWC float32 input from
`input` in eval mode and writes the output (NHWC for maps).
Prints one JSON list of {name, params, seconds}."""
import json
import sys
import time

import numpy as np
import torch
import torchvision

torch.set_num_threads(2)


def calibrate(model, input_shape, generator, batches=3, batch_size=4):
    """Random batchnorm affine parameters, and running statistics measured the way training
    measures them: each batchnorm, in train mode with momentum=None (a cumulative average),
    sees a few batches of random inputs like the test's, with every other layer in eval mode.
    Batchnorm initialises to constants (γ 1, β 0, mean 0, var 1), which would hide a swapped
    mapping; arbitrary random statistics instead let activations grow with depth (outputs in
    the hundreds after 50 layers), unlike real pretrained weights. Calibrated, every
    statistic differs from its default and the activations stay normalised."""
    batchnorms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    model.eval()
    with torch.no_grad():
        for bn in batchnorms:
            bn.weight.copy_(torch.rand(bn.weight.shape, generator=generator) + 0.5)
            bn.bias.copy_(torch.rand(bn.bias.shape, generator=generator) * 0.4 - 0.2)
            bn.reset_running_stats()
            bn.momentum = None
            bn.train()
        if batchnorms:
            _, height, width, channels = input_shape
            for _ in range(batches):
                model(torch.rand((batch_size, channels, height, width), generator=generator) * 2 - 1)
    model.eval()


results = []
for job in json.load(sys.stdin):
    torch.manual_seed(job["seed"])
    if "module" in job:
        model = eval(job["module"], {"torch": torch, "nn": torch.nn})
    else:
        model = getattr(torchvision.models, job["name"])(weights=None, **job.get("kwargs", {}))
    calibrate(model, job["input_shape"], torch.Generator().manual_seed(job["seed"] + 1))
    torch.save(model.state_dict(), job["state_dict"])
    x = torch.from_numpy(np.fromfile(job["input"], dtype="<f4").reshape(job["input_shape"])).permute(0, 3, 1, 2).contiguous()
    started = time.time()
    with torch.no_grad():
        y = model(x)
    if y.dim() == 4:
        y = y.permute(0, 2, 3, 1)
    y.contiguous().numpy().astype("<f4").tofile(job["output"])
    if "output64" in job:
        # The same forward in float64: the exact result float32 runs are measured against.
        with torch.no_grad():
            y64 = model.double()(x.double())
        model.float()
        if y64.dim() == 4:
            y64 = y64.permute(0, 2, 3, 1)
        y64.contiguous().numpy().astype("<f8").tofile(job["output64"])
    results.append({"name": job["name"], "params": sum(p.numel() for p in model.parameters()), "seconds": time.time() - started})
print(json.dumps(results))
