/**
 * Points arithmetic on the customer state: credit into expiry buckets, FIFO debit, expiry, tiers.
 * Every change appends a ledger entry with a deterministic id, so replays are idempotent.
 */
import type { Program } from './campaign.ts';
import type { CustomerState, LedgerEntry, PointsBucket } from './customer-state.ts';
import { LIMITS } from './customer-state.ts';
import { MS_PER_DAY, parseInstant } from './time.ts';

type LedgerReason = LedgerEntry['reason'];

function pushLedger(state: CustomerState, entry: Omit<LedgerEntry, 'customerId' | 'brand'>): void {
  state.ledger.push({ ...entry, customerId: state.customerId, brand: state.brand });
  if (state.ledger.length > LIMITS.ledger) state.ledger.splice(0, state.ledger.length - LIMITS.ledger);
}

/** Whether an entry id is already in the ledger tail (the occurrence map is the durable guard). */
function inLedger(state: CustomerState, entryId: string): boolean {
  return state.ledger.some((e) => e.entryId === entryId);
}

/**
 * Whole points for `amount` at `rate` points per currency unit, rounded down. A product that lands a
 * hair below a whole number in binary floating point (0.29 × 100 = 28.999999999999996) counts as that
 * whole number: the customer must not lose a point to the representation.
 */
export function wholePoints(amount: number, rate: number): number {
  const exact = amount * rate;
  const nearest = Math.round(exact);
  if (Math.abs(exact - nearest) <= 1e-9 * Math.max(1, nearest)) return Math.max(0, nearest);
  return Math.max(0, Math.floor(exact));
}

/** The day (YYYY-MM-DD, UTC) at whose start points earned at `at` expire. */
export function expiryDay(at: string, expireDays: number): string {
  return new Date(parseInstant(at) + expireDays * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Credits points earned at `at`, expiring `expireDays` later. Mutates `state`. */
export function credit(
  state: CustomerState,
  input: {
    entryId: string;
    campaignId: string | null;
    points: number;
    at: string;
    expireDays: number;
    reason: LedgerReason;
  },
): void {
  if (input.points <= 0 || inLedger(state, input.entryId)) return;
  const expiresOn = expiryDay(input.at, input.expireDays);
  const buckets = state.points.buckets;
  // Buckets are replaced, never changed: copies of a state share them (see the engine's issuance).
  const at = buckets.findIndex((b) => b.expiresOn === expiresOn);
  const same = buckets[at];
  if (same) buckets[at] = { ...same, points: same.points + input.points };
  else {
    buckets.push({ expiresOn, points: input.points });
    buckets.sort((a, b) => (a.expiresOn < b.expiresOn ? -1 : a.expiresOn > b.expiresOn ? 1 : 0));
  }
  state.points.balance += input.points;
  state.points.lifetimeEarned += input.points;
  const month = input.at.slice(0, 7);
  state.points.earnedByMonth[month] = (state.points.earnedByMonth[month] ?? 0) + input.points;
  pruneMonths(state);
  pushLedger(state, {
    entryId: input.entryId,
    campaignId: input.campaignId,
    points: input.points,
    reason: input.reason,
    at: input.at,
    expiresAt: `${expiresOn}T00:00:00.000Z`,
  });
}

/**
 * Debits up to `points`, the balance never going below zero (points already spent cannot be clawed back
 * from thin air). Returns the points actually debited.
 *
 * A redemption takes the oldest points first. A claw-back reverses one credit: it names the bucket the
 * credit went to (`expiresOn`), taken first, and the time it was earned (`earnedAt`, default `at`), whose
 * month's earnings shrink, so tiers never count points that were taken back, and the result is the
 * same whether the credit and its claw-back arrive in one order or the other.
 */
export function debit(
  state: CustomerState,
  input: {
    entryId: string;
    campaignId: string | null;
    points: number;
    at: string;
    reason: LedgerReason;
    expiresOn?: string;
    earnedAt?: string;
  },
): number {
  if (input.points <= 0 || inLedger(state, input.entryId)) return 0;
  const buckets = state.points.buckets;
  const own = buckets.find((b) => b.expiresOn === input.expiresOn);
  // A credit whose bucket has expired since lost its points to the expiry: clawing it back from other
  // buckets would take them twice. (A bucket gone before its day was spent: the claw-back takes the rest.)
  if (
    input.reason === 'clawback' &&
    own === undefined &&
    input.expiresOn !== undefined &&
    input.expiresOn <= input.at.slice(0, 10)
  )
    return 0;
  let left = Math.min(input.points, state.points.balance);
  const taken = left;
  // What is left in each bucket taken from (buckets are replaced, never changed).
  const remaining = new Map<PointsBucket, number>();
  for (const bucket of own === undefined ? buckets : [own, ...buckets]) {
    if (left <= 0) break;
    const points = remaining.get(bucket) ?? bucket.points;
    const d = Math.min(points, left);
    remaining.set(bucket, points - d);
    left -= d;
  }
  state.points.buckets = buckets
    .map((b) => {
      const points = remaining.get(b);
      return points === undefined ? b : { ...b, points };
    })
    .filter((b) => b.points > 0);
  state.points.balance -= taken;
  if (input.reason === 'clawback') {
    // Points earned and then clawed back were never really earned: tiers must not count them. A month
    // already pruned from the window is left alone rather than recreated with a negative sum.
    const month = (input.earnedAt ?? input.at).slice(0, 7);
    const earned = state.points.earnedByMonth[month];
    if (earned !== undefined) {
      if (earned > taken) state.points.earnedByMonth[month] = earned - taken;
      else delete state.points.earnedByMonth[month];
    }
    state.points.lifetimeEarned = Math.max(0, state.points.lifetimeEarned - taken);
  }
  pushLedger(state, {
    entryId: input.entryId,
    campaignId: input.campaignId,
    points: -taken,
    reason: input.reason,
    at: input.at,
    expiresAt: null,
  });
  return taken;
}

/** Removes buckets expired by `nowMs`; one ledger entry per expiry day. Mutates and returns expired points. */
export function expirePoints(state: CustomerState, nowMs: number): number {
  const today = new Date(nowMs).toISOString().slice(0, 10);
  let expired = 0;
  const keep = [];
  for (const bucket of state.points.buckets) {
    if (bucket.expiresOn <= today) {
      expired += bucket.points;
      // A late credit can refill a day that already expired; its expiry needs an id of its own, or
      // consumers that dedupe on entry ids (the engine's new-ledger diff) would drop it.
      let entryId = `expiry:${bucket.expiresOn}`;
      for (let n = 2; inLedger(state, entryId); n++) entryId = `expiry:${bucket.expiresOn}#${n}`;
      pushLedger(state, {
        entryId,
        campaignId: null,
        points: -bucket.points,
        reason: 'expiry',
        at: `${bucket.expiresOn}T00:00:00.000Z`,
        expiresAt: null,
      });
    } else keep.push(bucket);
  }
  state.points.buckets = keep;
  state.points.balance -= expired;
  return expired;
}

function monthIndex(key: string): number {
  return Number(key.slice(0, 4)) * 12 + Number(key.slice(5, 7)) - 1;
}

function pruneMonths(state: CustomerState): void {
  const keys = Object.keys(state.points.earnedByMonth);
  if (keys.length <= LIMITS.earnedMonths) return;
  keys.sort();
  for (const k of keys.slice(0, keys.length - LIMITS.earnedMonths)) delete state.points.earnedByMonth[k];
}

/** Points earned in the `months` calendar months ending with the month of `atMs`. */
export function pointsEarnedInWindow(state: CustomerState, atMs: number, months: number): number {
  const end = monthIndex(new Date(atMs).toISOString().slice(0, 7));
  let sum = 0;
  for (const [k, v] of Object.entries(state.points.earnedByMonth)) {
    const i = monthIndex(k);
    if (i <= end && i > end - months) sum += v;
  }
  return sum;
}

/** The tier held at `atMs`: the highest whose threshold the rolling earnings reach. */
export function tierAt(state: CustomerState, program: Program, atMs: number): string | null {
  const earned = pointsEarnedInWindow(state, atMs, program.tierWindowMonths);
  let tier: string | null = null;
  let best = Number.NEGATIVE_INFINITY;
  // The highest threshold reached wins, even if a file lists its tiers out of order.
  for (const t of program.tiers) {
    if (earned >= t.minPoints && t.minPoints >= best) {
      tier = t.name;
      best = t.minPoints;
    }
  }
  return tier;
}

/** Rank of a tier in the program (−1 when unknown or none). */
export function tierRank(program: Program, tier: string | null): number {
  return tier === null ? -1 : program.tiers.findIndex((t) => t.name === tier);
}
