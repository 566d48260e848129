"""PyTorch's own accounting of a training step's memory, for bench/memory: the bytes autograd
saves for the backward pass (every tensor a saved_tensors_hooks pack hook sees, counted once
per storage, parameters and buffers left out), and the parameters, gradients and optimizer
state after one step. Prints one JSON object.

Usage: /usr/bin/python3 bench/memory/torch_saved.py MODEL_DIR BATCH OPTIMIZER
MODEL_DIR holds the model.py that `cnnc build --target pytorch` writes; OPTIMIZER is adam,
adamw, rmsprop, sgd or sgd-momentum.
"""

import importlib.util
import json
import sys

import torch


def load(model_dir: str):
    spec = importlib.util.spec_from_file_location("cnnc_model", f"{model_dir}/model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def storage_key(t: torch.Tensor):
    return (t.storage().data_ptr(), t.storage().nbytes())


def main() -> None:
    model_dir, batch, optimizer_name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    torch.manual_seed(0)
    module = load(model_dir)
    model = getattr(module, module.MODEL_NAME)()
    model.train()
    x = torch.rand(batch, *module.INPUT_SHAPE)
    classes = module.OUTPUT_SHAPE[0]
    y = torch.randint(0, classes, (batch,))
    params = {storage_key(t) for t in list(model.parameters()) + list(model.buffers())}
    optimizers = {
        "adam": lambda p: torch.optim.Adam(p, lr=1e-3),
        "adamw": lambda p: torch.optim.AdamW(p, lr=1e-3),
        "rmsprop": lambda p: torch.optim.RMSprop(p, lr=1e-3, momentum=0.9),
        "sgd": lambda p: torch.optim.SGD(p, lr=1e-2),
        "sgd-momentum": lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9),
    }
    optimizer = optimizers[optimizer_name](model.parameters())
    saved = {}

    def pack(t: torch.Tensor):
        key = storage_key(t)
        if key not in params:
            saved[key] = t.storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    param_bytes = sum(t.numel() * t.element_size() for t in list(model.parameters()) + list(model.buffers()))
    grad_bytes = sum(p.grad.numel() * p.grad.element_size() for p in model.parameters() if p.grad is not None)
    state_bytes = sum(v.numel() * v.element_size() for s in optimizer.state.values() for v in s.values() if torch.is_tensor(v) and v.dim() > 0)
    print(json.dumps({"torch": torch.__version__, "saved": sum(saved.values()), "params": param_bytes, "gradients": grad_bytes, "optimizer": state_bytes}))


if __name__ == "__main__":
    main()
