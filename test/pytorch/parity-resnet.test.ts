// The generated PyTorch module against tfjs for the ResNets, at batch 1. Needs python3-torch.

import { paritySuite } from "./parity-run.js";

paritySuite("PyTorch and tfjs compute the same ResNets", ["resnet20", "resnet18", "resnet34", "resnet50", "resnet152"]);
