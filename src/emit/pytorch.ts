// The PyTorch target: model.py (an NCHW nn.Module computing the tfjs model's function) and
// train.py (the `train` declaration as a single- or multi-process training script).

import type { IrGraph } from "../ir/ir.js";
import { emitModelPy } from "./pytorch/model.js";
import { emitTrainPy, type TrainPySettings } from "./pytorch/train.js";

export { emitModelPy, torchClassName, torchIdentifiers } from "./pytorch/model.js";
export { emitTrainPy, type TrainPySettings } from "./pytorch/train.js";

export interface PytorchInput {
  ir: IrGraph;
  /** The .cnn file's name, for the generated files' headers. */
  sourceFile: string;
  /** The model's doc comment. */
  doc?: string;
  /** The settings train.py trains with; default: the IR's `train` declaration. */
  train?: TrainPySettings;
}

export function emitPytorch({ ir, sourceFile, doc, train }: PytorchInput): { "model.py": string; "train.py": string } {
  return { "model.py": emitModelPy({ ir, sourceFile, doc }), "train.py": emitTrainPy({ ir, sourceFile, train: train ?? ir.train }) };
}
