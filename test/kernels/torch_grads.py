"""Reference gradients for test/kernels/pytorch.test.ts, computed by PyTorch in float64.

Reads a JSON list from stdin, each item {"model": "lenet5" | "resblock", "x": [...]
(NHWC), "shape": [n, h, w, c], "labels": [...], "params": [{"name": "conv_1/kernel",
"shape": [...], "values": [...]}, ...]}, the trainable tensors of the tfjs model named by
layer and weight, in tfjs's layouts (conv kernels [kh, kw, in, out], dense kernels
[in, out]). Builds the same network in PyTorch, in training mode, and prints a list of
{"loss": float, "grads": [[...], ...]} with every gradient in tfjs's layout, in the order
of "params".
"""

import json
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
torch.set_default_dtype(torch.float64)


def tensor(values, shape):
    return torch.tensor(values, dtype=torch.float64).reshape(shape)


class Params:
    """Hands out the tfjs parameters by name, converted to PyTorch's layouts, and
    remembers how to turn each PyTorch gradient back into tfjs's layout."""

    def __init__(self, params):
        self.params = {p["name"]: p for p in params}
        self.leaves = {}

    def _take(self, name, convert, back):
        p = self.params[name]
        leaf = convert(tensor(p["values"], p["shape"])).clone().requires_grad_(True)
        self.leaves[name] = (leaf, back)
        return leaf

    def conv(self, layer):
        # [kh, kw, in, out] -> [out, in, kh, kw]
        return self._take(f"{layer}/kernel", lambda t: t.permute(3, 2, 0, 1), lambda g: g.permute(2, 3, 1, 0))

    def dense(self, layer, flatten_chw=None):
        if flatten_chw is None:
            return self._take(f"{layer}/kernel", lambda t: t.t(), lambda g: g.t())
        # tfjs flattens NHWC as (h, w, c); PyTorch flattens NCHW as (c, h, w).
        c, h, w = flatten_chw

        def to_torch(t):
            return t.reshape(h, w, c, -1).permute(2, 0, 1, 3).reshape(c * h * w, -1).t()

        def to_tfjs(g):
            return g.t().reshape(c, h, w, -1).permute(1, 2, 0, 3).reshape(h * w * c, -1)

        return self._take(f"{layer}/kernel", to_torch, to_tfjs)

    def vector(self, name):
        return self._take(name, lambda t: t, lambda g: g)


def batchnorm(x, params, layer):
    gamma, beta = params.vector(f"{layer}/gamma"), params.vector(f"{layer}/beta")
    return F.batch_norm(x, None, None, gamma, beta, training=True, eps=1e-5)


def lenet5(x, params):
    x = F.max_pool2d(F.relu(F.conv2d(x, params.conv("conv_1"), params.vector("conv_1/bias"), padding=2)), 2)
    x = F.avg_pool2d(torch.tanh(F.conv2d(x, params.conv("conv_2"), params.vector("conv_2/bias"))), 2)
    x = torch.flatten(x, 1)
    x = F.relu(F.linear(x, params.dense("dense_1", flatten_chw=(16, 5, 5)), params.vector("dense_1/bias")))
    x = F.relu(F.linear(x, params.dense("dense_2"), params.vector("dense_2/bias")))
    return F.linear(x, params.dense("dense_3"), params.vector("dense_3/bias"))


def resblock(x, params):
    x = F.relu(batchnorm(F.conv2d(x, params.conv("conv_1"), padding=1), params, "batchnorm_1"))
    body = F.relu(batchnorm(F.conv2d(x, params.conv("conv_2"), stride=2, padding=1), params, "batchnorm_2"))
    body = batchnorm(F.conv2d(body, params.conv("conv_3"), padding=1), params, "batchnorm_3")
    shortcut = batchnorm(F.conv2d(x, params.conv("conv_4"), stride=2), params, "batchnorm_4")
    x = F.relu(body + shortcut)
    x = x.mean(dim=(2, 3))
    return F.linear(x, params.dense("dense_1"), params.vector("dense_1/bias"))


MODELS = {"lenet5": lenet5, "resblock": resblock}


def gradients(request):
    n, h, w, c = request["shape"]
    x = tensor(request["x"], (n, h, w, c)).permute(0, 3, 1, 2)
    labels = torch.tensor(request["labels"], dtype=torch.long)
    params = Params(request["params"])
    logits = MODELS[request["model"]](x, params)
    unused = set(params.params) - set(params.leaves)
    if unused:
        raise SystemExit(f"parameters the PyTorch model does not use: {sorted(unused)}")
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    grads = []
    for p in request["params"]:
        leaf, back = params.leaves[p["name"]]
        grads.append(back(leaf.grad).reshape(-1).tolist())
    return {"loss": loss.item(), "grads": grads}


def main():
    json.dump([gradients(request) for request in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()
