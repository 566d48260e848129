// Optional augmentation, applied to each training batch on the fly: horizontal flips,
// random crops (zoomed back to full size) and translations with zero fill.

import { fitImage } from "./dataset.js";

export interface Augmentation {
  flip: boolean;
  /** Pixels cut from each side at most before zooming back to the full size. */
  crop: number;
  /** Pixels of shift at most, in each direction. */
  translate: number;
}

export const NO_AUGMENTATION: Augmentation = { flip: false, crop: 0, translate: 0 };

/** Parses `flip,crop=4,translate=2` (the --augment flag). */
export function parseAugmentation(text: string): Augmentation {
  const result = { ...NO_AUGMENTATION };
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name, value] = part.split("=") as [string, string | undefined];
    const amount = value === undefined ? 2 : Number(value);
    if (!Number.isInteger(amount) || amount < 0) throw new Error(`--augment ${name} expects a whole number of pixels, found \`${value}\``);
    if (name === "flip") result.flip = true;
    else if (name === "crop") result.crop = amount;
    else if (name === "translate") result.translate = amount;
    else throw new Error(`--augment knows flip, crop=N and translate=N, not \`${name}\``);
  }
  return result;
}

export function isAugmenting(a: Augmentation): boolean {
  return a.flip || a.crop > 0 || a.translate > 0;
}

/** Augments one image (height × width × channels) in place. */
export function augmentImage(image: Float32Array, shape: readonly [number, number, number], a: Augmentation, random: () => number): void {
  const [h, w, c] = shape;
  let pixels = image;
  if (a.crop > 0) {
    const cut = Math.floor(random() * (a.crop + 1));
    if (cut > 0 && 2 * cut < Math.min(h, w)) {
      const top = Math.floor(random() * (2 * cut + 1));
      const left = Math.floor(random() * (2 * cut + 1));
      const ch = h - 2 * cut;
      const cw = w - 2 * cut;
      const cropped = new Float32Array(ch * cw * c);
      for (let y = 0; y < ch; y++) cropped.set(pixels.subarray(((y + top) * w + left) * c, ((y + top) * w + left + cw) * c), y * cw * c);
      pixels = fitImage(cropped, [ch, cw, c], shape, "resize");
    }
  }
  if (a.translate > 0) {
    const dy = Math.floor(random() * (2 * a.translate + 1)) - a.translate;
    const dx = Math.floor(random() * (2 * a.translate + 1)) - a.translate;
    const shifted = new Float32Array(pixels.length);
    for (let y = 0; y < h; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= h) continue;
      for (let x = 0; x < w; x++) {
        const sx = x - dx;
        if (sx < 0 || sx >= w) continue;
        for (let k = 0; k < c; k++) shifted[(y * w + x) * c + k] = pixels[(sy * w + sx) * c + k]!;
      }
    }
    pixels = shifted;
  }
  if (a.flip && random() < 0.5) {
    const flipped = new Float32Array(pixels.length);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) flipped[(y * w + x) * c + k] = pixels[(y * w + (w - 1 - x)) * c + k]!;
    pixels = flipped;
  }
  if (pixels !== image) image.set(pixels);
}
