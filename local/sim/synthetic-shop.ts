/**
 * A seeded, deterministic synthetic shop: a year (or any span) of customer, consent, order and action
 * events in the EventBridge envelope of the README ("Input: shop events"), plus the truth about each
 * customer that only the simulator knows (archetype, routine cadences, true offer uplift, preferred
 * engagement hour). `npm start` and `simulate` drive the engine with it on a simulated clock.
 *
 * No I/O and no clock: everything follows from the options. Each customer draws from their own random
 * stream (seed × customer number), so generation is linear in customers, and adding customers leaves the
 * existing ones unchanged. Events are sorted once, at the end, by a packed numeric key.
 */
import { seed32, uuidOf } from './random.ts';
import { CATALOG, type Product } from './shop-catalog.ts';
import { generateCustomer } from './shop-customer.ts';
import { DAY_MS } from './shop-local-time.ts';
import { type CustomerTruth, EventSink, type ShopEvent } from './shop-model.ts';

export { engagementFor, responseToOffer } from './shop-behaviour.ts';
export { CATALOG, type Currency, type Product, priceIn } from './shop-catalog.ts';
export {
  ARCHETYPE_MIX,
  type Archetype,
  type CustomerTruth,
  type RoutineProduct,
  type ShopEvent,
} from './shop-model.ts';

export interface ShopOptions {
  customers: number;
  days: number;
  /** Any safe integer; the same seed gives byte-identical events. */
  seed: number;
  /** ISO instant the simulated period starts at, e.g. `2026-01-01T00:00:00Z`. */
  start: string;
  /** Brands customers are spread over; default `['default']` (the default brand leaves `detail.brand` out). */
  brands?: string[];
}

export interface Shop {
  /** Sorted by time ascending (ties keep generation order); ids UUID-shaped, from the seed and the rank. */
  events: ShopEvent[];
  truth: CustomerTruth[];
  catalog: Product[];
}

function validate(options: ShopOptions): { startMs: number; brands: readonly string[] } {
  const { customers, days, seed, start } = options;
  if (!Number.isSafeInteger(customers) || customers < 0 || customers > 10_000_000) {
    throw new RangeError(`customers must be an integer in 0..10000000, got ${customers}`);
  }
  if (!Number.isSafeInteger(days) || days < 1 || days > 3660) {
    throw new RangeError(`days must be an integer in 1..3660, got ${days}`);
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const parsed = Date.parse(start);
  if (Number.isNaN(parsed)) throw new RangeError(`start must be an ISO instant, got ${start}`);
  const brands = options.brands ?? ['default'];
  if (brands.length === 0 || brands.some((b) => b.length === 0 || b.length > 64)) {
    throw new RangeError('brands must be a non-empty list of non-empty names');
  }
  // Whole seconds, like every event time.
  return { startMs: Math.ceil(parsed / 1000) * 1000, brands };
}

/**
 * Sorts event indices by time, ties in generation order. The key packs (seconds since start, index)
 * into one float so the typed array's native numeric sort does the work; a comparator sort is the
 * fallback when the key would not fit in 53 bits.
 */
function sortedOrder(times: readonly number[], startMs: number): ArrayLike<number> {
  const n = times.length;
  const bits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const scale = 2 ** bits;
  const maxSeconds = times.reduce((max, t) => Math.max(max, (t - startMs) / 1000), 0);
  if ((maxSeconds + 1) * scale > Number.MAX_SAFE_INTEGER) {
    const order = Array.from({ length: n }, (_, k) => k);
    return order.sort((a, b) => (times[a] ?? 0) - (times[b] ?? 0) || a - b);
  }
  const keys = new Float64Array(n);
  for (let k = 0; k < n; k++) keys[k] = Math.round(((times[k] ?? startMs) - startMs) / 1000) * scale + k;
  keys.sort();
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k++) order[k] = (keys[k] ?? 0) % scale;
  return order;
}

/** Generates the shop's event history (sorted by time) and the truth behind it. */
export function generateShop(options: ShopOptions): Shop {
  const { startMs, brands } = validate(options);
  const endMs = startMs + options.days * DAY_MS;
  const sink = new EventSink(startMs, endMs);
  const ctx = { seedHash: seed32(options.seed), customers: options.customers, brands, startMs, endMs, sink };
  const truth: CustomerTruth[] = [];
  for (let index = 0; index < options.customers; index++) truth.push(generateCustomer(ctx, index));

  const order = sortedOrder(sink.times, startMs);
  // UUIDs, as EventBridge assigns them: the length and entropy of a deployed shop's ids (122 bits of
  // hash of the rank: distinct, as the tests check).
  const events: ShopEvent[] = [];
  for (let rank = 0; rank < order.length; rank++) {
    const event = sink.events[order[rank] ?? 0];
    if (event === undefined) continue;
    event.id = uuidOf(String(rank + 1), ctx.seedHash);
    events.push(event);
  }
  return { events, truth, catalog: CATALOG.map((p) => ({ ...p })) };
}
