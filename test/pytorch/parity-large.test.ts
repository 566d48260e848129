// The generated PyTorch module against tfjs for AlexNet (61 M parameters) and U-Net (the
// largest activations), at batch 1. Needs python3-torch.

import { paritySuite } from "./parity-run.js";

paritySuite("PyTorch and tfjs compute the same large models", ["alexnet", "unet"]);
