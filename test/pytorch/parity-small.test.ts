// The generated PyTorch module against tfjs, with the same weights: the small and mobile
// examples and the two models that exercise every lowering rule (test/pytorch/cases/).
// Needs Debian's python3-torch.

import { paritySuite } from "./parity-run.js";

paritySuite("PyTorch and tfjs compute the same function", ["ops_spatial", "ops_flat", "ops_modern", "lenet5", "visual_intelligence", "squeezenet1_1", "mobilenet_v2", "efficientnet_b0", "densenet121", "mobilenet_v3_large", "shufflenet_v2_x1_0", "regnet_y_400mf"]);
