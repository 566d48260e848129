// Shared paths and small utilities for the test suite.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const EXAMPLES = join(ROOT, "examples");
export const ERRORS = join(EXAMPLES, "errors");
export const GOLDEN = join(ROOT, "test", "golden");
export const CLI = join(ROOT, "dist", "src", "cli", "bin.js");
export const STDLIB = join(ROOT, "stdlib");

export function cnnFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".cnn"))
    .sort();
}

export function read(path: string): string {
  return readFileSync(path, "utf8");
}

/**
 * An example with each standard-library import replaced by that library file's text: one
 * self-contained file, for tests that need large single-file inputs (the incremental
 * checker handles a file with imports through a full compile).
 */
export function withStdlibInlined(text: string): string {
  return text.replace(/^import \{[^}]*\} from "std\/(\w+)"\n/gm, (_, name: string) => read(join(STDLIB, `${name}.cnn`)));
}

/** Reference figures from shared/reference/architectures.md (PyTorch 1.13 / torchvision 0.14). */
export const REFERENCE: Record<string, { trainable: number; nonTrainable: number; macs: number; output: number[] }> = {
  lenet5: { trainable: 61_706, nonTrainable: 0, macs: 416_520, output: [10] },
  visual_intelligence: { trainable: 371_584, nonTrainable: 768, macs: 268_303_104, output: [25, 25, 128] },
  alexnet: { trainable: 61_100_840, nonTrainable: 0, macs: 714_188_480, output: [1000] },
  vgg16: { trainable: 138_357_544, nonTrainable: 0, macs: 15_470_264_320, output: [1000] },
  vgg16_bn: { trainable: 138_365_992, nonTrainable: 8_448, macs: 15_470_264_320, output: [1000] },
  resnet18: { trainable: 11_689_512, nonTrainable: 9_600, macs: 1_814_073_344, output: [1000] },
  resnet34: { trainable: 21_797_672, nonTrainable: 17_024, macs: 3_663_761_408, output: [1000] },
  resnet50: { trainable: 25_557_032, nonTrainable: 53_120, macs: 4_089_184_256, output: [1000] },
  resnet152: { trainable: 60_192_808, nonTrainable: 151_424, macs: 11_513_626_624, output: [1000] },
  mobilenet_v2: { trainable: 3_504_872, nonTrainable: 34_112, macs: 300_774_272, output: [1000] },
  efficientnet_b0: { trainable: 5_288_548, nonTrainable: 42_016, macs: 385_814_752, output: [1000] },
  squeezenet1_1: { trainable: 1_235_496, nonTrainable: 0, macs: 349_151_936, output: [1000] },
  densenet121: { trainable: 7_978_856, nonTrainable: 83_648, macs: 2_834_161_664, output: [1000] },
};
