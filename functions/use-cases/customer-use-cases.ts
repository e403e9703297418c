/**
 * Use cases shared by the Lambda handlers and the local runtime: read the customer, run the pure engine,
 * write back with a conditional put, retrying on a version conflict. The ports are arguments, so tests
 * pass in-memory fakes and the handlers pass DynamoDB adapters.
 */

import type { CustomerState } from '../domain/customer-state.ts';
import { customerKey, emptyState } from '../domain/customer-state.ts';
import type { EngineContext, Outcome } from '../domain/engine.ts';
import { evaluateScheduled, nextDue, processEvent } from '../domain/engine.ts';
import type { DomainEvent } from '../domain/events.ts';
import type { ScannedCustomer } from '../ports/customer-scanner.ts';
import type { CustomerRef, CustomerStore, StoredCustomer } from '../ports/customer-store.ts';
import { sameBucket } from '../ports/customer-store.ts';

export interface Ports {
  store: CustomerStore;
}

export class ConcurrencyError extends Error {
  constructor(
    readonly customerId: string,
    attempts: number,
  ) {
    super(`customer ${customerId}: still conflicting after ${attempts} attempts`);
    this.name = 'ConcurrencyError';
  }
}

const MAX_ATTEMPTS = 8;

/**
 * The due instant to store after a step at `now`. Due now means due at the next dispatch: the bucket of
 * `now` may already be behind the dispatcher's watermark, so an entry there would wait for the next
 * sweep instead of the next tick.
 */
function dueAfter(state: CustomerState, ctx: EngineContext, nowMs: number): number | null {
  const due = nextDue(state, ctx, nowMs);
  return due === null ? null : Math.max(due, nowMs + 1);
}

/**
 * The customers of a batch, read ahead in one request (`CustomerStore.getMany`). Each read serves one
 * step: the first of its customer in the batch; a later step of the same customer reads again, as the
 * first one has written meanwhile. A read that has gone stale costs a conflict and a fresh read, never
 * a wrong write: the write is conditional on the version read.
 */
export class Prefetched {
  private constructor(
    private readonly read: Map<string, StoredCustomer | null>,
    /** Whether the reads were the latest (strongly consistent) when made. */
    readonly latest: boolean,
  ) {}

  static readonly none = new Prefetched(new Map(), true);

  /**
   * Reads the customers in one request when the store can. A failed read is not the batch's failure:
   * it is returned with nothing read, and every step reads its own customer.
   *
   * `consistent: false` (see `CustomerStore.getMany`) reads even a single customer ahead: `get` is
   * always the latest, and the point is the cheaper read. A retry after a conflict reads the latest.
   */
  static async of(
    store: CustomerStore,
    refs: readonly CustomerRef[],
    options: { consistent?: boolean } = {},
  ): Promise<{ prefetched: Prefetched; error?: unknown }> {
    const distinct = new Map(refs.map((r) => [customerKey(r.brand, r.customerId), r]));
    const consistent = options.consistent ?? true;
    // One customer read the latest way is one GetItem either way.
    if (store.getMany === undefined || distinct.size === 0 || (consistent && distinct.size < 2))
      return { prefetched: Prefetched.none };
    try {
      const read = await store.getMany([...distinct.values()], { consistent });
      return { prefetched: new Prefetched(read, consistent) };
    } catch (error) {
      return { prefetched: Prefetched.none, error };
    }
  }

  /** The customer as read ahead (null: no item), once; undefined when not read or already taken. */
  take(brand: string, customerId: string): StoredCustomer | null | undefined {
    const key = customerKey(brand, customerId);
    const stored = this.read.get(key);
    if (stored !== undefined) this.read.delete(key);
    return stored;
  }
}

/** An outcome, and whether it changed the customer item (false: nothing was written for it). */
export type Applied = Outcome & { changed: boolean };

async function withCustomer(
  ports: Ports,
  brand: string,
  customerId: string,
  nowMs: number,
  ctx: EngineContext,
  step: (state: CustomerState) => Outcome,
  onUnchanged: 'nothing' | 'reindex',
  prefetched: Prefetched | undefined,
): Promise<Applied> {
  // A read made ahead serves the first attempt only: a retry follows a conflict, so it reads again.
  let ahead = prefetched?.take(brand, customerId);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const stored = ahead === undefined ? await ports.store.get(brand, customerId) : ahead;
    const maybeStale = ahead !== undefined && prefetched?.latest === false;
    ahead = undefined;
    const state = stored?.state ?? emptyState(brand, customerId);
    const storedDue = stored?.dueMs ?? null;
    const outcome = step(state);
    const after = dueAfter(outcome.state, ctx, nowMs);
    if (outcome.state !== state) {
      // One conditional write of the item (its due entry filed first when the bucket moves).
      if (await ports.store.put(outcome.state, state.version, after, storedDue))
        return { ...outcome, changed: true };
      continue;
    }
    // Nothing changed. A read that was not the latest may have missed the write that made the
    // customer due (its entry is what brought them here): only the latest can tell "nothing to do".
    if (maybeStale) continue;
    // After an evaluation the due instant may have moved (the entry that brought the customer is
    // spent, or stale): the store writes only when it left the stored due's bucket. After an event (a
    // duplicate) nothing is written at all.
    if (
      onUnchanged === 'nothing' ||
      (await ports.store.setDue(brand, customerId, state.version, after, storedDue))
    ) {
      return { ...outcome, changed: false };
    }
  }
  throw new ConcurrencyError(customerId, MAX_ATTEMPTS);
}

/**
 * Applies one validated shop event and issues what its event-driven triggers decide. An event the
 * item has seen (its id among the last 16, or a known order id) changes nothing and writes nothing.
 */
export function ingestEvent(
  ports: Ports,
  ctx: EngineContext,
  event: DomainEvent,
  nowMs: number,
  prefetched?: Prefetched,
): Promise<Applied> {
  return withCustomer(
    ports,
    event.brand,
    event.customerId,
    nowMs,
    ctx,
    (s) => processEvent(s, event, ctx, nowMs),
    'nothing',
    prefetched,
  );
}

/** Runs the scheduled triggers due for one customer. */
export function evaluateCustomer(
  ports: Ports,
  ctx: EngineContext,
  brand: string,
  customerId: string,
  nowMs: number,
  prefetched?: Prefetched,
): Promise<Applied> {
  return withCustomer(
    ports,
    brand,
    customerId,
    nowMs,
    ctx,
    (s) => evaluateScheduled(s, ctx, nowMs),
    'reindex',
    prefetched,
  );
}

/** What the sweep did with one scanned customer. */
export type SweepResult = 'unchanged' | 'evaluated' | 'reindexed' | 'conflict-evaluated' | 'conflict';

/**
 * Decides one customer a sweep read, with the state the scan read: evaluates what is due now and
 * re-files the customer when its due bucket changed (a new pack or model, or no due stored at all):
 * the new bucket's entry, then the item, in one conditional write at the scanned version. A conflict
 * means the customer changed meanwhile: that write recomputed the due; anything still due is evaluated
 * from a fresh read.
 */
export async function sweepCustomer(
  ports: Ports,
  ctx: EngineContext,
  scanned: ScannedCustomer,
  nowMs: number,
): Promise<SweepResult> {
  const { state, dueMs } = scanned;
  const outcome = evaluateScheduled(state, ctx, nowMs);
  const after = dueAfter(outcome.state, ctx, nowMs);
  if (outcome.state !== state) {
    if (await ports.store.put(outcome.state, state.version, after, dueMs)) return 'evaluated';
    await evaluateCustomer(ports, ctx, state.brand, state.customerId, nowMs);
    return 'conflict-evaluated';
  }
  if (sameBucket(after, dueMs)) return 'unchanged';
  return (await ports.store.setDue(state.brand, state.customerId, state.version, after, dueMs))
    ? 'reindexed'
    : 'conflict';
}
