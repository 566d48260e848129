"""Loads generated PyTorch modules and checks them against tfjs, for test/pytorch/*.test.ts.

Reads a JSON list of jobs on stdin, each {name, dir, state_dict, input, input_shape,
expected?}: imports dir/model.py, counts its trainable parameters, loads the state_dict
written by `cnnc convert` (strictly), runs the NHWC float32 input from `input` in eval mode
and compares with the NHWC tfjs output in `expected`. Prints one JSON list of results."""
import importlib.util
import json
import sys

import numpy as np
import torch

torch.set_num_threads(2)
results = []
for job in json.load(sys.stdin):
    spec = importlib.util.spec_from_file_location("cnnc_model_" + job["name"], job["dir"] + "/model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model()
    result = {
        "name": job["name"],
        "params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "buffers": sum(b.numel() for name, b in model.named_buffers() if not name.endswith("num_batches_tracked")),
    }
    if "state_dict" in job:
        model.load_state_dict(torch.load(job["state_dict"]), strict=True)
    model.eval()
    x = torch.from_numpy(np.fromfile(job["input"], dtype="<f4").reshape(job["input_shape"]))
    if x.dim() == 4:
        x = x.permute(0, 3, 1, 2).contiguous()
    with torch.no_grad():
        y = model(x)
    if y.dim() == 4:
        y = y.permute(0, 2, 3, 1)
    result["shape"] = list(y.shape[1:])
    if "expected" in job:
        expected = np.fromfile(job["expected"], dtype="<f4").reshape(y.shape)
        result["max_abs_error"] = float(np.abs(y.contiguous().numpy() - expected).max())
        result["max_abs_output"] = float(np.abs(expected).max())
    if "save_state_dict" in job:
        torch.save(model.state_dict(), job["save_state_dict"])
    if "save_output" in job:
        y.contiguous().numpy().astype("<f4").tofile(job["save_output"])
    results.append(result)
print(json.dumps(results))
