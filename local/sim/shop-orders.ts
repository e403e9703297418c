/**
 * What and when each archetype buys: routine products at the customer's own cadence, random baskets,
 * lapses and returns. Plans are in local day numbers; `shop-customer.ts` turns them into timed orders.
 */
import { type Rng, Weighted } from './random.ts';
import {
  BASKET_WEIGHTS,
  CATALOG,
  type Currency,
  PRODUCTS_BY_CATEGORY,
  PRODUCTS_BY_SKU,
  type Product,
  priceIn,
  RELATED_CATEGORY,
  ROUTINE_WEIGHTS,
} from './shop-catalog.ts';
import type { Archetype, RoutineProduct } from './shop-model.ts';

export interface Line {
  sku: string;
  category: string;
  quantity: number;
  unitPrice: number;
}

const ROUTINE_CATEGORIES = new Set(ROUTINE_WEIGHTS.map(([c]) => c));
const ROUTINE_TABLE = new Weighted(ROUTINE_WEIGHTS);
const BASKET_TABLE = new Weighted(BASKET_WEIGHTS);
/** Items of one product in a random basket. */
const QUANTITIES = new Weighted([
  [1, 80],
  [2, 15],
  [3, 5],
] as const);
/** How many routine products a regular has. */
const ROUTINE_COUNTS = new Weighted([
  [1, 55],
  [2, 35],
  [3, 10],
] as const);

function pickProduct(rng: Rng, category: string): Product {
  return rng.pick(PRODUCTS_BY_CATEGORY.get(category) ?? CATALOG);
}

/** One to a few routine products, often a natural pair (coffee + filters, shampoo + conditioner). */
function chooseRoutine(rng: Rng, count: number): RoutineProduct[] {
  const routine: RoutineProduct[] = [];
  let category = ROUTINE_TABLE.pick(rng);
  for (let k = 0; k < count; k++) {
    const product = pickProduct(rng, category);
    if (!routine.some((r) => r.sku === product.sku)) {
      routine.push({
        sku: product.sku,
        category,
        // Each customer has their own rhythm around the population interval.
        cadenceDays: Math.round((product.intervalDays ?? 30) * rng.float(0.82, 1.18) * 10) / 10,
        quantity: category === 'baby-food' ? rng.int(3, 8) : rng.chance(0.15) ? 2 : 1,
      });
    }
    const related = RELATED_CATEGORY[category];
    category =
      related !== undefined && ROUTINE_CATEGORIES.has(related) && rng.chance(0.6)
        ? related
        : ROUTINE_TABLE.pick(rng);
  }
  return routine;
}

/** Orders under construction: lines by local day number (one order per customer per day). */
export class Basket {
  readonly byDay = new Map<number, Line[]>();
  constructor(readonly currency: Currency) {}

  add(day: number, product: Product, quantity: number): void {
    let lines = this.byDay.get(day);
    if (lines === undefined) {
      lines = [];
      this.byDay.set(day, lines);
    }
    const same = lines.find((l) => l.sku === product.sku);
    if (same !== undefined) same.quantity += quantity;
    else
      lines.push({
        sku: product.sku,
        category: product.category,
        quantity,
        unitPrice: priceIn(product, this.currency),
      });
  }

  /** A non-routine purchase: a category by popularity, sometimes with its natural add-on. */
  addRandom(rng: Rng, day: number, bulk = false): void {
    const category = BASKET_TABLE.pick(rng);
    const quantity = bulk ? rng.int(2, 10) : QUANTITIES.pick(rng);
    this.add(day, pickProduct(rng, category), quantity);
    const related = RELATED_CATEGORY[category];
    if (related !== undefined && rng.chance(0.3)) this.add(day, pickProduct(rng, related), 1);
    if (rng.chance(0.15)) this.add(day, pickProduct(rng, BASKET_TABLE.pick(rng)), 1);
  }
}

/** A multiplicative jitter around 1, kept within ±25%. */
function jitter(rng: Rng, spread: number): number {
  return Math.min(1.25, Math.max(0.75, 1 + spread * rng.normal()));
}

function productOf(item: RoutineProduct | undefined): Product | undefined {
  return item === undefined ? undefined : PRODUCTS_BY_SKU.get(item.sku);
}

export interface OrderPlan {
  routine: RoutineProduct[];
  /** Dormant customers: the local day they stop ordering, and the day they come back (if they do). */
  dormantFromDay: number | null;
  returnsDay: number | null;
}

/**
 * Fills the basket with the archetype's purchases between `firstDay` (the customer's first possible
 * local day, fractional: the registration time of day) and `endDay`. `isNew` = registered in the period.
 */
export function planOrders(
  rng: Rng,
  archetype: Archetype,
  basket: Basket,
  firstDay: number,
  endDay: number,
  isNew: boolean,
): OrderPlan {
  const plan: OrderPlan = { routine: [], dormantFromDay: null, returnsDay: null };
  switch (archetype) {
    case 'regular': {
      plan.routine = chooseRoutine(rng, ROUTINE_COUNTS.pick(rng));
      for (const item of plan.routine) {
        const product = productOf(item);
        if (product === undefined) continue;
        // A new customer starts soon; an existing one is somewhere in their cycle.
        let t = firstDay + rng.float(0, isNew ? Math.min(5, item.cadenceDays) : item.cadenceDays);
        for (; t < endDay; t += item.cadenceDays * jitter(rng, 0.08)) {
          // Now and then a purchase happens elsewhere (holiday, another shop): a doubled gap.
          if (rng.chance(0.04)) continue;
          basket.add(Math.floor(t), product, item.quantity);
          if (rng.chance(0.12)) basket.addRandom(rng, Math.floor(t));
        }
      }
      for (let t = firstDay + rng.exponential(90); t < endDay; t += rng.exponential(90)) {
        basket.addRandom(rng, Math.floor(t));
      }
      break;
    }
    case 'occasional': {
      const meanGap = 365 / rng.float(2, 7);
      let t = firstDay + (isNew && rng.chance(0.5) ? rng.float(0, 3) : rng.exponential(meanGap));
      for (; t < endDay; t += Math.max(1, rng.exponential(meanGap))) basket.addRandom(rng, Math.floor(t));
      break;
    }
    case 'one-off': {
      if (isNew ? rng.chance(0.85) : rng.chance(0.35)) {
        basket.addRandom(rng, Math.floor(firstDay + (isNew ? rng.float(0, 10) : rng.float(0, 180))));
      }
      break;
    }
    case 'dormant': {
      plan.routine = chooseRoutine(rng, 1);
      const item = plan.routine[0];
      const product = productOf(item);
      const cadence = rng.float(14, 35);
      const orderOn = (day: number): void => {
        if (item !== undefined && product !== undefined && rng.chance(0.6))
          basket.add(day, product, item.quantity);
        else basket.addRandom(rng, day);
      };
      // Some existing customers have already lapsed when the period starts.
      const dormantFromDay = firstDay + (!isNew && rng.chance(0.3) ? 0 : rng.float(45, 220));
      let t = firstDay + rng.float(0, isNew ? 5 : cadence);
      for (; t < dormantFromDay && t < endDay; t += cadence * jitter(rng, 0.15)) orderOn(Math.floor(t));
      if (rng.chance(0.35)) {
        plan.returnsDay = dormantFromDay + rng.float(90, 180);
        t = plan.returnsDay;
        for (let n = rng.int(1, 4); n > 0 && t < endDay; n--, t += cadence * jitter(rng, 0.15)) {
          orderOn(Math.floor(t));
        }
      }
      if (item !== undefined) item.cadenceDays = Math.round(cadence * 10) / 10;
      plan.dormantFromDay = dormantFromDay;
      break;
    }
    case 'high-value': {
      // Wholesale-ish: frequent bulk orders of a few staples plus bulk extras.
      plan.routine = chooseRoutine(rng, rng.int(2, 4));
      const cadence = rng.float(6, 14);
      for (const item of plan.routine) {
        item.quantity = rng.int(4, 24);
        item.cadenceDays = Math.round((cadence / 0.7) * 10) / 10;
      }
      for (let t = firstDay + rng.float(0, cadence); t < endDay; t += cadence * jitter(rng, 0.2)) {
        const day = Math.floor(t);
        for (const item of plan.routine) {
          const product = productOf(item);
          if (product !== undefined && rng.chance(0.7)) basket.add(day, product, item.quantity);
        }
        if (rng.chance(0.35) || !basket.byDay.has(day)) basket.addRandom(rng, day, true);
      }
      break;
    }
    case 'registrant':
      break;
  }
  return plan;
}
