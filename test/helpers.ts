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

/**
 * The largest modern families (4 to 11 GMACs, up to 69M parameters): their tfjs builds and
 * round trips take minutes on CI's two cores, so the tfjs tests run them only with
 * `CNNC_EXHAUSTIVE=1` (README, "Tests"). Their figures, summaries and IR are checked always.
 */
export const HEAVY_EXAMPLES = ["convnext_tiny", "efficientnet_v2_s", "inception_v3", "resnext50_32x4d", "wide_resnet50_2"];

/** The examples (names without .cnn) whose tfjs models the tfjs tests build. */
export function tfjsExamples(): string[] {
  const names = cnnFiles(EXAMPLES).map((f) => f.replace(/\.cnn$/, ""));
  return process.env["CNNC_EXHAUSTIVE"] === "1" ? names : names.filter((name) => !HEAVY_EXAMPLES.includes(name));
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
  convnext_tiny: { trainable: 28_589_128, nonTrainable: 0, macs: 4_455_531_264, output: [1000] },
  shufflenet_v2_x1_0: { trainable: 2_278_604, nonTrainable: 16_180, macs: 144_907_992, output: [1000] },
  regnet_y_400mf: { trainable: 4_344_144, nonTrainable: 27_152, macs: 401_842_848, output: [1000] },
  resnext50_32x4d: { trainable: 25_028_904, nonTrainable: 68_224, macs: 4_230_479_872, output: [1000] },
  wide_resnet50_2: { trainable: 68_883_240, nonTrainable: 68_224, macs: 11_398_021_120, output: [1000] },
  mobilenet_v3_large: { trainable: 5_483_032, nonTrainable: 24_400, macs: 216_589_760, output: [1000] },
  efficientnet_v2_s: { trainable: 21_458_488, nonTrainable: 153_872, macs: 8_365_617_152, output: [1000] },
  mnasnet1_0: { trainable: 4_383_312, nonTrainable: 37_920, macs: 314_415_872, output: [1000] },
  googlenet: { trainable: 6_624_904, nonTrainable: 14_560, macs: 1_498_376_192, output: [1000] },
  inception_v3: { trainable: 23_834_568, nonTrainable: 34_432, macs: 5_713_216_096, output: [1000] },
};
