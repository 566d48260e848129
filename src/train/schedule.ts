// Learning-rate schedules, applied at each epoch start. tfjs has none built in, so each is
// a small pure function of the epoch, except reduce_on_plateau, whose state is saved in
// every checkpoint so that a resumed run reduces exactly as an uninterrupted one would.

import type { TrainSettings } from "./config.js";

export interface PlateauState {
  best: number | null;
  wait: number;
  cooldown: number;
  lr: number;
}

export interface Schedule {
  /** The learning rate for `epoch` (0-based), before any plateau reduction. */
  rateAt(epoch: number): number;
  /** Called with the epoch's logs; returns true when the rate was reduced. */
  endEpoch(logs: Record<string, number>): boolean;
  state(): PlateauState | undefined;
  restore(state: PlateauState | undefined): void;
}

export function improved(value: number, best: number | null, mode: "min" | "max", delta: number): boolean {
  if (best === null) return true;
  return mode === "min" ? value < best - delta : value > best + delta;
}

export function makeSchedule(settings: TrainSettings, baseRate: number): Schedule {
  const scheduler = settings.scheduler;
  const config = scheduler?.config ?? {};
  const num = (key: string): number => config[key] as number;
  if (scheduler === undefined || scheduler.name === "reduce_on_plateau") {
    let plateau: PlateauState = { best: null, wait: 0, cooldown: 0, lr: baseRate };
    return {
      rateAt: () => plateau.lr,
      endEpoch(logs) {
        if (scheduler === undefined) return false;
        const value = logs[config["monitor"] as string];
        if (value === undefined || !Number.isFinite(value)) return false;
        const mode = config["mode"] as "min" | "max";
        if (plateau.cooldown > 0) plateau.cooldown--;
        if (improved(value, plateau.best, mode, num("threshold"))) {
          plateau.best = value;
          plateau.wait = 0;
          return false;
        }
        if (plateau.cooldown > 0) return false;
        plateau.wait++;
        if (plateau.wait < Math.max(num("patience"), 1)) return false;
        const reduced = Math.max(plateau.lr * num("factor"), num("min_lr"));
        plateau.wait = 0;
        plateau.cooldown = num("cooldown");
        if (reduced >= plateau.lr) return false;
        plateau.lr = reduced;
        return true;
      },
      state: () => (scheduler === undefined ? undefined : { ...plateau }),
      restore(state) {
        if (state) plateau = { ...state };
      },
    };
  }
  const fixed = (rateAt: (epoch: number) => number): Schedule => ({ rateAt, endEpoch: () => false, state: () => undefined, restore: () => undefined });
  switch (scheduler.name) {
    case "step":
      return fixed((epoch) => baseRate * num("gamma") ** Math.floor(epoch / num("step_size")));
    case "exponential":
      return fixed((epoch) => baseRate * num("gamma") ** epoch);
    case "cosine": {
      const warmup = num("warmup");
      const minRate = num("min_lr");
      return fixed((epoch) => {
        if (epoch < warmup) return (baseRate * (epoch + 1)) / warmup;
        const span = Math.max(settings.epochs - warmup, 1);
        return minRate + (baseRate - minRate) * 0.5 * (1 + Math.cos((Math.PI * (epoch - warmup)) / span));
      });
    }
    default:
      throw new Error(`unknown scheduler ${scheduler.name}`);
  }
}

/** Early stopping: stops after `patience` epochs without an improvement of `min_delta`. */
export interface StoppingState {
  best: number | null;
  wait: number;
}

export function shouldStop(settings: TrainSettings, state: StoppingState, logs: Record<string, number>): boolean {
  const config = settings.earlyStopping?.config;
  if (config === undefined) return false;
  const value = logs[config["monitor"] as string];
  if (value === undefined) return false;
  if (improved(value, state.best, config["mode"] as "min" | "max", config["min_delta"] as number)) {
    state.best = value;
    state.wait = 0;
    return false;
  }
  state.wait++;
  return state.wait >= (config["patience"] as number);
}
