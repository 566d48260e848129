"""Compares the PyTorch modules cnnc generates for the modern-family examples with
torchvision's own models: the multiset of parameter tensor sizes, of buffer tensor sizes
(batchnorm statistics), and the output shape on the example's input size. Tensor sizes are
compared as element counts, so a Linear over channels (ConvNeXt) matches its 1x1
convolution and a (C, 1, 1) layer scale its (C,) vector.

Usage: /usr/bin/python3 bench/pytorch-parity/torchvision_structure.py DIR NAME...
where DIR/NAME/model.py was written by `cnnc build examples/NAME.cnn --target pytorch`.
"""

import importlib.util
import sys

import torch
import torchvision.models as models

NO_AUX = {"googlenet", "inception_v3"}


def sizes(tensors):
    return sorted(t.numel() for t in tensors)


def main(directory, names):
    failed = False
    for name in names:
        spec = importlib.util.spec_from_file_location(f"cnnc_{name}", f"{directory}/{name}/model.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        ours = module.build_model().eval()
        kwargs = {"aux_logits": False, "init_weights": False} if name in NO_AUX else {}
        theirs = getattr(models, name)(weights=None, **kwargs).eval()
        x = torch.zeros((1,) + tuple(module.INPUT_SHAPE))
        with torch.no_grad():
            shapes = (tuple(ours(x).shape), tuple(theirs(x).shape))
        checks = {
            "parameters": sizes(ours.parameters()) == sizes(theirs.parameters()),
            "buffers": sizes(b for b in ours.buffers() if b.dtype.is_floating_point) == sizes(b for b in theirs.buffers() if b.dtype.is_floating_point),
            "output": shapes[0] == shapes[1],
        }
        failed |= not all(checks.values())
        print(f"{name}: " + ", ".join(f"{k} {'equal' if v else 'DIFFERENT'}" for k, v in checks.items()) + f" ({len(list(theirs.parameters()))} parameter tensors)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
