// Backend selection: the `auto` order and the messages for backends that are not installed.

import { describe, expect, it, vi } from "vitest";
import { BackendUnavailable, chooseBackend, type BackendProbe } from "../src/runtime/backend.js";

function probe(installed: string[], gpu = false): BackendProbe {
  return { installed: (pkg) => installed.includes(pkg), gpuUsable: () => gpu };
}

const ALL = ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"];

describe("chooseBackend", () => {
  it("auto prefers tfjs-node-gpu with a usable GPU", () => {
    expect(chooseBackend("auto", probe(ALL, true))).toMatchObject({ backend: "gpu" });
  });
  it("auto skips tfjs-node-gpu without a GPU, and says so", () => {
    const choice = chooseBackend("auto", probe(ALL, false));
    expect(choice.backend).toBe("tensorflow");
    expect(choice.reason).toContain("no GPU is usable");
  });
  it("auto falls back to wasm, then cpu", () => {
    expect(chooseBackend("auto", probe(["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm"]))).toMatchObject({ backend: "wasm" });
    const cpu = chooseBackend("auto", probe(["@tensorflow/tfjs"]));
    expect(cpu.backend).toBe("cpu");
    expect(cpu.reason).toContain("@tensorflow/tfjs-node is not installed");
  });
  it("an explicit backend that is not installed says how to get it", () => {
    expect(() => chooseBackend("tensorflow", probe(["@tensorflow/tfjs"]))).toThrow(BackendUnavailable);
    expect(() => chooseBackend("tensorflow", probe(["@tensorflow/tfjs"]))).toThrow(/npm install @tensorflow\/tfjs-node/);
    expect(() => chooseBackend("gpu", probe(["@tensorflow/tfjs"]))).toThrow(/CUDA 11\.2 and cuDNN 8\.1/);
    expect(() => chooseBackend("gpu", probe(ALL, false))).toThrow(/usable NVIDIA GPU/);
  });
  it("a gpu request that cannot be met names the other GPU paths: the browser backends and the PyTorch target", () => {
    for (const installed of [["@tensorflow/tfjs"], ALL]) {
      const message = (() => {
        try {
          chooseBackend("gpu", probe(installed, false));
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect(message).toMatch(/webgl and webgpu backends in a browser/);
      expect(message).toMatch(/--target pytorch.*CUDA under torchrun/);
    }
  });
  it("an explicit installed backend is used as requested", () => {
    expect(chooseBackend("cpu", probe(ALL, true))).toEqual({ backend: "cpu", reason: "requested with --backend" });
  });
});

describe("loadTrainingBackend", () => {
  it("a backend `auto` fell back to is not called requested", async () => {
    // Without cnnc's kernels, `auto` moves from wasm to cpu on its own.
    vi.resetModules();
    vi.doMock("../src/kernels/index.js", () => ({ prepareTraining: undefined }));
    try {
      const { loadTrainingBackend } = await import("../src/train/backend.js");
      const loaded = await loadTrainingBackend("auto");
      expect(loaded.reason).not.toContain("requested with --backend");
      if (loaded.backend === "cpu") expect(loaded.reason).toBe("wasm cannot train convolutions without cnnc's gradient kernels, so using cpu");
    } finally {
      vi.doUnmock("../src/kernels/index.js");
      vi.resetModules();
    }
  }, 60_000);
});
