/**
 * Use cases shared by the Lambda handlers and the local runtime: read the customer, run the pure engine,
 * write back with a conditional put, retrying on a version conflict. The ports are arguments, so tests
 * pass in-memory fakes and the handlers pass DynamoDB adapters.
 */

import type { CustomerState } from '../domain/customer-state.ts';
import { emptyState } from '../domain/customer-state.ts';
import type { EngineContext, Outcome } from '../domain/engine.ts';
import { evaluateScheduled, nextDue, processEvent } from '../domain/engine.ts';
import type { DomainEvent } from '../domain/events.ts';
import type { CustomerStore, DueIndex } from '../ports/customer-store.ts';

export interface Ports {
  store: CustomerStore;
  index: DueIndex;
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

async function withCustomer(
  ports: Ports,
  brand: string,
  customerId: string,
  nowMs: number,
  ctx: EngineContext,
  step: (state: CustomerState) => Outcome,
  reindex: 'when-moved' | 'always',
): Promise<Outcome> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const state = (await ports.store.get(brand, customerId)) ?? emptyState(brand, customerId);
    const outcome = step(state);
    const changed = outcome.state !== state;
    if (changed && !(await ports.store.put(outcome.state, state.version))) continue;
    const after = nextDue(outcome.state, ctx, nowMs);
    // Index writes cost money: after an event only when the due instant moved; after an evaluation
    // always, because the entry that brought the customer here is now spent.
    if (reindex === 'always' || state.version === 0 || nextDue(state, ctx, nowMs) !== after) {
      await ports.index.set(brand, customerId, after);
    }
    return outcome;
  }
  throw new ConcurrencyError(customerId, MAX_ATTEMPTS);
}

/** Applies one validated shop event and issues what its event-driven triggers decide. */
export function ingestEvent(
  ports: Ports,
  ctx: EngineContext,
  event: DomainEvent,
  nowMs: number,
): Promise<Outcome> {
  return withCustomer(
    ports,
    event.brand,
    event.customerId,
    nowMs,
    ctx,
    (s) => processEvent(s, event, ctx, nowMs),
    'when-moved',
  );
}

/** Runs the scheduled triggers due for one customer. */
export function evaluateCustomer(
  ports: Ports,
  ctx: EngineContext,
  brand: string,
  customerId: string,
  nowMs: number,
): Promise<Outcome> {
  return withCustomer(
    ports,
    brand,
    customerId,
    nowMs,
    ctx,
    (s) => evaluateScheduled(s, ctx, nowMs),
    'always',
  );
}
