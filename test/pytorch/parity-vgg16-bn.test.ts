// The generated PyTorch module against tfjs for VGG-16 with batchnorm, at batch 1. Needs python3-torch.

import { paritySuite } from "./parity-run.js";

paritySuite("PyTorch and tfjs compute the same VGG-16 with batchnorm", ["vgg16_bn"]);
