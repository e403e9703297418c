/**
 * Deterministic randomness for the simulator: a seeded splitmix32 stream and string hashes.
 *
 * Nothing here reads the clock or `Math.random`: the same seed gives the same numbers on every
 * machine, which is what makes a simulated shop reproducible byte for byte.
 */

const TWO_POW_32 = 4294967296;

/** Murmur3's finaliser: spreads every input bit over the whole 32-bit output. */
function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a string under a seed (murmur-style mixing of UTF-16 code units). */
export function hash32(text: string, seed = 0): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0xcc9e2d51);
    h = (h << 15) | (h >>> 17);
    h = Math.imul(h, 0x1b873593);
  }
  return fmix32(h ^ text.length);
}

/**
 * A UUID-shaped id (version 4 layout, 122 bits from four seeded hashes) for `text` under `seed`: what
 * EventBridge gives every event it accepts, so a simulated shop's items carry ids of the real length
 * and entropy. Deterministic, like everything here.
 */
export function uuidOf(text: string, seed = 0): string {
  const hex = [0x51, 0x52, 0x53, 0x54].map((salt) =>
    hash32(text, (seed ^ Math.imul(salt, 0x9e3779b1)) >>> 0),
  );
  const h = hex.map((n) => n.toString(16).padStart(8, '0')).join('');
  const variant = ((Number.parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A uniform number in [0, 1) derived from a string and a seed: stable "randomness" without state. */
export function unitHash(text: string, seed = 0): number {
  return hash32(text, seed) / TWO_POW_32;
}

/** Folds any safe integer seed (negative or beyond 32 bits) into a 32-bit seed. */
export function seed32(seed: number): number {
  return hash32(String(seed), 0x5eed);
}

/** A seeded splitmix32 stream with the few distributions the simulator needs. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / TWO_POW_32;
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Uniform in [min, max). */
  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** Picks a value with probability proportional to its weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, weight] of items) total += weight;
    let u = this.next() * total;
    for (const [value, weight] of items) {
      u -= weight;
      if (u < 0) return value;
    }
    const last = items[items.length - 1];
    if (last === undefined) throw new RangeError('weighted pick from an empty list');
    return last[0];
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with the given mean: the gap between events of a Poisson process. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
}

/** A weighted choice prepared once (cumulative weights), for the tables drawn from on every order. */
export class Weighted<T> {
  private readonly values: T[];
  private readonly cumulative: number[];
  private readonly total: number;

  constructor(items: readonly (readonly [T, number])[]) {
    if (items.length === 0) throw new RangeError('a weighted table needs at least one item');
    this.values = items.map(([value]) => value);
    let sum = 0;
    this.cumulative = items.map(([, weight]) => {
      sum += weight;
      return sum;
    });
    this.total = sum;
  }

  pick(rng: Rng): T {
    const u = rng.next() * this.total;
    const last = this.values.length - 1;
    let i = 0;
    while (i < last && u >= (this.cumulative[i] ?? 0)) i++;
    return this.values[i] as T;
  }
}
