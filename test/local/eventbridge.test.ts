import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../functions/domain/events.ts';
import { SimulatedClock } from '../../local/aws/clock.ts';
import type { BusEvent, EventPattern } from '../../local/aws/eventbridge.ts';
import { LocalEventBus, matchesPattern, validatePattern } from '../../local/aws/eventbridge.ts';
import { LocalQueue } from '../../local/aws/sqs.ts';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 456);

const event = {
  source: 'shop',
  'detail-type': 'OrderPlaced',
  account: '000000000000',
  detail: {
    brand: 'acme',
    total: 5,
    country: 'DE',
    tags: ['vip', 'new'],
    customer: { tier: 'gold' },
    coupon: null,
  },
};

const table: [string, EventPattern, boolean][] = [
  ['exact', { source: ['shop'] }, true],
  ['exact, any of a list', { 'detail-type': ['OrderCancelled', 'OrderPlaced'] }, true],
  ['exact, no match', { source: ['other'] }, false],
  ['exact is type-strict', { detail: { total: ['5'] } }, false],
  ['exact number', { detail: { total: [5] } }, true],
  ['null matches a present null', { detail: { coupon: [null] } }, true],
  ['null does not match a missing field', { detail: { voucher: [null] } }, false],
  ['array in the event: any element', { detail: { tags: ['vip'] } }, true],
  ['nested on detail', { detail: { customer: { tier: ['gold'] } } }, true],
  ['nested on detail, no match', { detail: { customer: { tier: ['silver'] } } }, false],
  ['every key must match', { source: ['shop'], detail: { brand: ['other'] } }, false],
  ['prefix', { 'detail-type': [{ prefix: 'Order' }] }, true],
  ['prefix, no match', { 'detail-type': [{ prefix: 'Customer' }] }, false],
  ['suffix', { 'detail-type': [{ suffix: 'Placed' }] }, true],
  ['equals-ignore-case', { detail: { country: [{ 'equals-ignore-case': 'de' }] } }, true],
  ['anything-but value', { detail: { country: [{ 'anything-but': 'FR' }] } }, true],
  ['anything-but value, excluded', { detail: { country: [{ 'anything-but': 'DE' }] } }, false],
  ['anything-but list', { detail: { country: [{ 'anything-but': ['FR', 'DE'] }] } }, false],
  ['anything-but number list', { detail: { total: [{ 'anything-but': [1, 2] }] } }, true],
  ['anything-but prefix', { 'detail-type': [{ 'anything-but': { prefix: 'Customer' } }] }, true],
  ['anything-but prefix, excluded', { 'detail-type': [{ 'anything-but': { prefix: 'Order' } }] }, false],
  ['anything-but needs the field', { detail: { missing: [{ 'anything-but': 'x' }] } }, false],
  ['numeric range', { detail: { total: [{ numeric: ['>', 0, '<=', 5] }] } }, true],
  ['numeric range, outside', { detail: { total: [{ numeric: ['>', 5] }] } }, false],
  ['numeric =', { detail: { total: [{ numeric: ['=', 5] }] } }, true],
  ['numeric on a string', { detail: { country: [{ numeric: ['>', 0] }] } }, false],
  ['exists true', { detail: { brand: [{ exists: true }] } }, true],
  ['exists true on a missing field', { detail: { missing: [{ exists: true }] } }, false],
  ['exists true on an object is false (leaves only)', { detail: { customer: [{ exists: true }] } }, false],
  ['exists false on a missing field', { detail: { missing: [{ exists: false }] } }, true],
  ['exists false on a present field', { detail: { brand: [{ exists: false }] } }, false],
  ['exists false on a missing parent', { detail: { nope: { deeper: [{ exists: false }] } } }, true],
  ['any of several matchers', { detail: { total: [{ numeric: ['>', 100] }, 5] } }, true],
];

describe('event patterns', () => {
  it.each(table)('%s', (_name, pattern, expected) => {
    validatePattern(pattern);
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('refuses patterns EventBridge refuses', () => {
    expect(() => validatePattern({ source: 'shop' })).toThrow(/array/);
    expect(() => validatePattern({ source: [] })).toThrow();
    expect(() => validatePattern({ detail: { total: [{ numeric: ['>>', 1] }] } })).toThrow(/numeric/);
    expect(() => validatePattern({ detail: { total: [{ wildcard: '*' }] } })).toThrow(/unsupported/);
    expect(() => validatePattern({ detail: { x: [{ exists: 'yes' }] } })).toThrow(/exists/);
  });
});

describe('LocalEventBus', () => {
  it('PutEvents builds the envelope; the stack rule delivers it to the queue as the body', async () => {
    const clock = new SimulatedClock(T0);
    const bus = new LocalEventBus(clock, { name: 'loyalty-triggers-events' });
    const ingest = new LocalQueue(clock, { name: 'ingest' });
    // The rule as lib/stacks/stateful-stack.ts writes it (CDK's camelCase key).
    bus.putRule({
      name: 'ShopEventsRule',
      eventPattern: { detailType: [...DETAIL_TYPES] },
      targets: [{ queue: ingest }],
    });
    const result = await bus.putEvents([
      {
        Source: 'shop',
        DetailType: 'OrderPlaced',
        Detail: '{"brand":"acme","total":5}',
        EventBusName: 'loyalty-triggers-events',
      },
      { Source: 'shop', DetailType: 'Unrelated', Detail: '{}' },
      { Source: 'shop', DetailType: 'OrderPlaced', Detail: 'not json' },
      { Source: 'shop', DetailType: 'OrderPlaced', Detail: '{}', EventBusName: 'other-bus' },
      {
        Source: 'shop',
        DetailType: 'CustomerRegistered',
        Detail: '{}',
        Time: new Date('2023-12-31T23:59:59.999Z'),
      },
    ]);
    expect(result.FailedEntryCount).toBe(2);
    expect(result.Entries[2]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(result.Entries[3]).toMatchObject({ ErrorCode: 'InvalidArgument' });

    const messages = ingest.receive(10);
    expect(messages).toHaveLength(2);
    const envelope = JSON.parse(messages[0]?.body ?? '') as BusEvent;
    expect(envelope).toEqual({
      version: '0',
      id: (result.Entries[0] as { EventId: string }).EventId,
      'detail-type': 'OrderPlaced',
      source: 'shop',
      account: '000000000000',
      time: '2024-01-01T12:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { brand: 'acme', total: 5 },
    });
    expect(JSON.parse(messages[1]?.body ?? '')).toMatchObject({ time: '2023-12-31T23:59:59Z' });
    expect(bus.archive()).toHaveLength(3);
  });

  it('function targets receive the event; rule filtering on detail; disabled rules do not fire', async () => {
    const bus = new LocalEventBus(new SimulatedClock(T0));
    const big: BusEvent[] = [];
    const all: BusEvent[] = [];
    bus.putRule({
      name: 'big',
      eventPattern: { detail: { total: [{ numeric: ['>=', 100] }] } },
      targets: [(e) => big.push(e)],
    });
    bus.putRule({ name: 'all', eventPattern: { source: [{ prefix: '' }] }, targets: [(e) => all.push(e)] });
    await bus.putEvents([
      { Source: 'shop', DetailType: 'OrderPlaced', Detail: '{"total":150}' },
      { Source: 'shop', DetailType: 'OrderPlaced', Detail: '{"total":15}' },
    ]);
    expect(big.map((e) => e.detail)).toEqual([{ total: 150 }]);
    expect(all).toHaveLength(2);
    bus.setRuleEnabled('all', false);
    await bus.putEvents([{ Source: 'shop', DetailType: 'X', Detail: '{}' }]);
    expect(all).toHaveLength(2);
  });

  it('enforces 10 entries per call and 256 KiB per entry', async () => {
    const bus = new LocalEventBus(new SimulatedClock(T0));
    const entry = { Source: 'shop', DetailType: 'OrderPlaced', Detail: '{}' };
    await expect(bus.putEvents(Array.from({ length: 11 }, () => entry))).rejects.toThrow(/1 to 10/);
    const huge = { ...entry, Detail: JSON.stringify({ pad: 'x'.repeat(256 * 1024) }) };
    await expect(bus.putEvents([huge])).rejects.toThrow(/over the limit/);
  });

  it('an event the queue refuses goes to the target DLQ with the error attributes, else to deliveryFailures', async () => {
    const clock = new SimulatedClock(T0);
    const bus = new LocalEventBus(clock);
    const queue = new LocalQueue(clock, { name: 'ingest' });
    const dlq = new LocalQueue(clock, { name: 'ingest-dlq' });
    const noDlq = new LocalQueue(clock, { name: 'other' });
    bus.putRule({
      name: 'r',
      eventPattern: { source: ['shop'] },
      targets: [{ queue, deadLetterQueue: dlq }],
    });
    bus.putRule({ name: 'r2', eventPattern: { source: ['shop'] }, targets: [{ queue: noDlq }] });
    // The Detail fits PutEvents' limit; the envelope around it does not fit SQS's.
    const detail = JSON.stringify({ pad: 'x'.repeat(256 * 1024 - 40) });
    const result = await bus.putEvents([{ Source: 'shop', DetailType: 'T', Detail: detail }]);
    expect(result.FailedEntryCount).toBe(0);
    expect(queue.approximateDepth()).toBe(0);
    // Too large for the DLQ as well: both rules record a delivery failure.
    expect(bus.deliveryFailures.map((f) => f.rule)).toEqual(['r', 'r2']);

    const failing = new LocalQueue(clock, { name: 'failing' });
    failing.send = () => {
      throw new Error('throttled');
    };
    bus.putRule({
      name: 'r',
      eventPattern: { source: ['shop'] },
      targets: [{ queue: failing, deadLetterQueue: dlq }],
    });
    bus.removeRule('r2');
    await bus.putEvents([{ Source: 'shop', DetailType: 'T', Detail: '{"a":1}' }]);
    const [dead] = dlq.peekAll();
    expect(JSON.parse(dead?.body ?? '')).toMatchObject({ detail: { a: 1 } });
    expect(dead?.messageAttributes.ERROR_MESSAGE?.StringValue).toBe('throttled');
    expect(dead?.messageAttributes.TARGET_ARN?.StringValue).toBe(failing.arn);
  });

  it('replays archived events in a time range, marked with replay-name', async () => {
    const clock = new SimulatedClock(T0);
    const bus = new LocalEventBus(clock);
    const seen: BusEvent[] = [];
    await bus.putEvents([{ Source: 'shop', DetailType: 'A', Detail: '{}' }]);
    await clock.advanceBy(3_600_000);
    await bus.putEvents([{ Source: 'shop', DetailType: 'B', Detail: '{}' }]);
    bus.putRule({ name: 'r', eventPattern: { source: ['shop'] }, targets: [(e) => seen.push(e)] });
    expect(await bus.replay({ name: 'fix', fromMs: T0 + 1_000, toMs: T0 + 7_200_000 })).toBe(1);
    expect(seen).toMatchObject([{ 'detail-type': 'B', 'replay-name': 'fix' }]);
  });

  it('keeps no archive when told not to, and still delivers', async () => {
    const bus = new LocalEventBus(new SimulatedClock(T0), { archive: false });
    const seen: BusEvent[] = [];
    bus.putRule({ name: 'r', eventPattern: { source: ['shop'] }, targets: [(e) => seen.push(e)] });
    await bus.putEvents([{ Source: 'shop', DetailType: 'A', Detail: '{}' }]);
    await bus.putEvent({ ...(seen[0] as BusEvent), id: 'again' });
    expect(seen).toHaveLength(2);
    expect(bus.archive()).toHaveLength(0);
  });
});
