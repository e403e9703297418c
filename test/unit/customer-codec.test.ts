/**
 * The customer item's state attribute: the dictionary-compressed form written now, the plain deflate
 * form of older items still read, and the dictionaries frozen (an item names its dictionary by its
 * first byte: a dictionary that changed would make every item written with it unreadable).
 */
import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CustomerItemError,
  compressStateJson,
  decodeCustomer,
  decodeCustomerImage,
  encodeCustomer,
  encodeState,
} from '../../functions/adapters/dynamodb/customer-codec.ts';
import { CURRENT_DICTIONARY, stateDictionary } from '../../functions/adapters/dynamodb/state-dictionary.ts';
import { CUSTOMER_ATTRS as A } from '../../functions/adapters/dynamodb/tables.ts';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import { emptyState } from '../../functions/domain/customer-state.ts';
import { runMemorySimulation } from '../../local/memory-simulation.ts';
import { DEFAULT_PACK } from './fixtures.ts';

let states: CustomerState[] = [];

beforeAll(async () => {
  // A seed the dictionary was not made from (bench/state-dictionary.ts uses 2024).
  const run = await runMemorySimulation({
    customers: 80,
    days: 200,
    seed: 11,
    start: '2026-01-01T00:00:00.000Z',
    pack: DEFAULT_PACK,
  });
  states = run.states;
}, 120_000);

describe('the state attribute', () => {
  it('round-trips every simulated customer, with its due entry', () => {
    for (const state of states) {
      const item = encodeCustomer(state, 1_800_000_000_000);
      expect(item[A.state]?.B?.[0]).toBe(CURRENT_DICTIONARY);
      expect(item[A.legacyState]).toBeUndefined();
      const back = decodeCustomer(item);
      expect(back.state).toEqual(state);
      expect(back.dueMs).toBe(1_800_000_000_000);
    }
  });

  it('is smaller than plain deflate, and under 1 KB for most customers of 200 days', () => {
    let plain = 0;
    let current = 0;
    let underOneKb = 0;
    for (const state of states) {
      const json = JSON.stringify(state);
      plain += deflateRawSync(Buffer.from(json)).length;
      const bytes = encodeState(state).length;
      current += bytes;
      // The rest of the item (key, version, due attributes and the attribute names) is under 100 B.
      if (bytes + 100 <= 1024) underOneKb++;
    }
    expect(current).toBeLessThan(plain * 0.75);
    expect(underOneKb).toBeGreaterThan(states.length / 2);
  });

  it('reads items written before the dictionaries (plain deflate under the old attribute)', () => {
    const state = states[3] ?? emptyState('default', 'c-1');
    const item = encodeCustomer(state, null);
    const { [A.state]: _current, ...rest } = item;
    const old = { ...rest, [A.legacyState]: { B: deflateRawSync(Buffer.from(JSON.stringify(state))) } };
    expect(decodeCustomer(old).state).toEqual(state);
    // The same item as a Lambda stream image (binary as base64).
    const image = {
      pk: { S: String(item[A.pk]?.S) },
      v: { N: String(state.version) },
      [A.legacyState]: { B: Buffer.from(old[A.legacyState].B).toString('base64') },
    };
    expect(decodeCustomerImage(image)).toEqual(state);
  });

  it('names an unknown dictionary in its error', () => {
    const bytes = compressStateJson(JSON.stringify(emptyState('default', 'c-1')));
    bytes[0] = 200;
    const item = { pk: { S: 'default#c-1' }, v: { N: '0' }, [A.state]: { B: bytes } };
    expect(() => decodeCustomer(item)).toThrow(CustomerItemError);
    expect(() => decodeCustomer(item)).toThrow(/no known dictionary \(first byte 200\)/);
  });

  it('keeps every dictionary frozen', () => {
    const digest = (v: number) => {
      const d = stateDictionary(v);
      return d === undefined ? null : createHash('sha256').update(d).digest('hex');
    };
    expect(CURRENT_DICTIONARY).toBe(1);
    expect(digest(1)).toBe('15abb96bf8691bc17f115e644bf0a3440a7289b9ec2b12b2c9993aaa2217effe');
    expect(stateDictionary(1)?.length).toBe(32 * 1024);
    expect(digest(0)).toBeNull();
    expect(digest(2)).toBeNull();
  });
});
