// The generated PyTorch module against tfjs for VGG-16 (138 M parameters), at batch 1. Needs python3-torch.

import { paritySuite } from "./parity-run.js";

paritySuite("PyTorch and tfjs compute the same VGG-16", ["vgg16"]);
