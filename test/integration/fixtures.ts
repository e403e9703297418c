/**
 * Shared fixtures of the integration tests: a customer outside the default pack's holdout with a
 * birthday in Vladivostok, realistic customer states from the synthetic shop, and a bounded reader
 * that drains the Customers stream through the Streams API.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { StreamRecord } from '../../functions/adapters/dynamodb/stream-reader.ts';
import { StreamReader } from '../../functions/adapters/dynamodb/stream-reader.ts';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import type { EngineContext } from '../../functions/domain/engine.ts';
import { holdoutBucket } from '../../functions/domain/guardrails.ts';
import type { CustomerRef } from '../../functions/ports/customer-store.ts';
import { runMemorySimulation } from '../../local/memory-simulation.ts';
import { DEFAULT_PACK, registered } from '../unit/fixtures.ts';

export const at = (s: string): number => Date.parse(s);
export const iso = (ms: number): string => new Date(ms).toISOString();
export const ctx: EngineContext = { pack: DEFAULT_PACK, model: null };

/** A customer id outside the default pack's global holdout, so bonuses and messages go out. */
export function activeCustomerId(prefix: string, from = 0): string {
  for (let i = from; ; i++) {
    const id = `${prefix}-${i}`;
    if (holdoutBucket('default', id, 'global') >= DEFAULT_PACK.guardrails.globalHoldoutPercent) return id;
  }
}

export const ID = activeCustomerId('cust');
export const REF: CustomerRef = { brand: 'default', customerId: ID };

/** Registered on March 1st; birthday March 17, i.e. 2026-03-17T00:00Z (10:00 in Vladivostok). */
export function registration(customerId: string = ID) {
  return registered(`e-reg-${customerId}`, '2026-03-01T00:00:00Z', {
    customerId,
    firstName: 'Ann',
    birthday: '1990-03-17',
    timeZone: 'Asia/Vladivostok',
    contacts: { email: 'ann@example.com', pushToken: 'push-token-ann' },
    consents: { email: true, push: true },
  });
}
export const REGISTERED_AT = at('2026-03-01T00:01:00Z');
export const BIRTHDAY = at('2026-03-17T00:00:00Z');

let simulated: Promise<CustomerState[]> | undefined;

/** Customer states as the engine leaves them after a few simulated months of a synthetic shop. */
export function simulatedStates(): Promise<CustomerState[]> {
  simulated ??= runMemorySimulation({
    customers: 60,
    days: 150,
    seed: 7,
    start: '2026-01-01T00:00:00.000Z',
    pack: DEFAULT_PACK,
  }).then((r) => r.states);
  return simulated;
}

/**
 * Reads the stream until `enough` says so, polling with short sleeps; bounded (50 polls), so a
 * missing record fails the test instead of hanging it. Returns the records in per-shard order.
 */
export async function drainStream(
  client: DynamoDBStreamsClient,
  streamArn: string,
  enough: (records: StreamRecord[]) => boolean,
  reader: StreamReader = new StreamReader(client, streamArn),
): Promise<StreamRecord[]> {
  const records: StreamRecord[] = [];
  for (let i = 0; i < 50; i++) {
    for (const batch of await reader.poll()) records.push(...batch.records);
    if (enough(records)) return records;
    await sleep(20);
  }
  throw new Error(`stream: gave up after 50 polls with ${records.length} records`);
}
