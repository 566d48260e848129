// The PyTorch target: model.py (an NCHW nn.Module computing the tfjs model's function) and
// train.py (the `train` declaration as a single- or multi-process training script).

import type { IrGraph } from "../ir/ir.js";
import { emitModelPy } from "./pytorch/model.js";
import { emitTrainPy } from "./pytorch/train.js";

export { emitModelPy, renamedTorchLayers, torchClassName, torchIdentifiers } from "./pytorch/model.js";
export { emitTrainPy } from "./pytorch/train.js";

export interface PytorchInput {
  ir: IrGraph;
  /** The .cnn file's name, for the generated files' headers. */
  sourceFile: string;
  /** The model's doc comment. */
  doc?: string;
}

export function emitPytorch({ ir, sourceFile, doc }: PytorchInput): { "model.py": string; "train.py": string } {
  return { "model.py": emitModelPy({ ir, sourceFile, doc }), "train.py": emitTrainPy({ ir, sourceFile, train: ir.train }) };
}
