/**
 * Download progress: a shared rate meter per transfer (bytes per second over a
 * recent window) and a throttle per subscriber (at most one event per interval,
 * plus the final `done` event, which is never dropped).
 */
import type { ProgressEvent } from "@rein/protocol";

export type Clock = () => number;
const defaultClock: Clock = () => performance.now();

/** Bytes per second over the last `windowMs` of samples. */
export class RateMeter {
  readonly #windowMs: number;
  readonly #minSpacingMs: number;
  readonly #now: Clock;
  #samples: Array<{ time: number; loaded: number }> = [];

  constructor(options: { windowMs?: number; now?: Clock } = {}) {
    this.#windowMs = options.windowMs ?? 2000;
    this.#minSpacingMs = this.#windowMs / 40;
    this.#now = options.now ?? defaultClock;
  }

  /** Records that `loaded` bytes are done now. */
  sample(loaded: number): void {
    const time = this.#now();
    const samples = this.#samples;
    const last = samples[samples.length - 1];
    // Keep the window small: replace the newest sample when it is very recent.
    if (last !== undefined && samples.length > 1 && time - (samples[samples.length - 2]?.time ?? 0) < this.#minSpacingMs) {
      last.time = time;
      last.loaded = loaded;
    } else {
      samples.push({ time, loaded });
    }
    let drop = 0;
    while (samples.length - drop > 2 && time - (samples[drop]?.time ?? time) > this.#windowMs) drop++;
    if (drop > 0) samples.splice(0, drop);
  }

  /** Average rate over the window; 0 until two samples are apart in time. */
  bytesPerSecond(): number {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (first === undefined || last === undefined || last.time <= first.time) return 0;
    return Math.max(0, Math.round(((last.loaded - first.loaded) * 1000) / (last.time - first.time)));
  }
}

/** Forwards at most one progress event per `intervalMs`; `finish` always goes through. */
export class ProgressThrottle {
  readonly #emit: (event: ProgressEvent) => void;
  readonly #intervalMs: number;
  readonly #now: Clock;
  #lastEmit = Number.NEGATIVE_INFINITY;
  #finished = false;

  constructor(emit: (event: ProgressEvent) => void, intervalMs: number, now: Clock = defaultClock) {
    this.#emit = emit;
    this.#intervalMs = Math.max(0, intervalMs);
    this.#now = now;
  }

  update(loaded: number, total: number | null, bytesPerSecond: number | null): void {
    if (this.#finished) return;
    const time = this.#now();
    if (time - this.#lastEmit < this.#intervalMs) return;
    this.#lastEmit = time;
    this.#emit({ phase: "download", loaded, total, bytesPerSecond, done: false });
  }

  /** The last event: `done: true`, `loaded === total === bytes`. Later calls do nothing. */
  finish(bytes: number, bytesPerSecond: number | null): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#emit({ phase: "download", loaded: bytes, total: bytes, bytesPerSecond, done: true });
  }
}
