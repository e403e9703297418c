/**
 * The embedded runtime's throughput against the ceiling of the DynamoDB Local it runs on, in one run:
 *
 * - `ddbLocalCeilingOpsPerSec`: a plain loop of PutItem calls (one at a time, small items) on the same
 *   DynamoDB Local instance — the most writes per second this database serves this process;
 * - `eventsPerSec`: a rush of a synthetic shop (two months of registrations, orders, consents … of
 *   `customers` customers, their times compressed into `spanSeconds` (120), order kept: ~15 events a
 *   second, as a flash sale brings) put on the bus and carried end to end:
 *   SQS → ingest (triggers, one conditional write per customer) → stream → relay → ledger and channel
 *   queues, with the scheduled dispatcher and sweep running on the way;
 * - `writesPerEvent`: the items the run wrote per event (customer item, due entry, ledger entries, held
 *   messages, stats): what an event needs written, however the writes were batched (a BatchWriteItem
 *   of n items is n writes, as the ceiling's PutItem of one item is one); `writeRequestsPerEvent` the
 *   requests that carried them;
 * - `ratioToCeiling` = eventsPerSec × writesPerEvent ÷ ceiling: how much of the database's write rate
 *   the runtime turns into events (goal ≥ 0.5).
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { parseEvent } from '../functions/domain/events.ts';
import { driveEmbedded } from '../local/embedded/run.ts';
import { EmbeddedStack } from '../local/embedded/stack.ts';
import type { EventSource } from '../local/memory-simulation.ts';
import { RunRecorder } from '../local/run-recorder.ts';
import type { ShopEvent } from '../local/sim/synthetic-shop.ts';
import { generateShop } from '../local/sim/synthetic-shop.ts';
import { loadDefaultPack } from './default-pack.ts';

export interface LocalBench {
  ddbLocalCeilingOpsPerSec: number;
  eventsPerSec: number;
  writesPerEvent: number;
  writeRequestsPerEvent: number;
  ratioToCeiling: number;
  events: number;
  seconds: number;
  messages: number;
}

const START = '2026-03-02T08:00:00.000Z';

/** The shop's events with their times mapped into `spanMs` from START, in the same order. */
function rush(customers: number, spanMs: number): ShopEvent[] {
  const shop = generateShop({ customers, days: 60, seed: 5, start: '2026-01-01T00:00:00.000Z' });
  const events = [...shop.events].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const first = Date.parse(events[0]?.time ?? START);
  const last = Date.parse(events[events.length - 1]?.time ?? START);
  const span = Math.max(1, last - first);
  const start = Date.parse(START);
  return events.map((e) => {
    const at = start + Math.floor(((Date.parse(e.time) - first) / span) * (spanMs - 1000));
    const detail = { ...e.detail };
    delete detail.placedAt;
    delete detail.registeredAt;
    return { ...e, time: new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z'), detail };
  });
}

async function ceiling(stack: EmbeddedStack, seconds: number): Promise<number> {
  const client = stack.ddb.client();
  const table = stack.ddb.names.dispatch;
  const put = (i: number) =>
    client.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: `ceiling-${i}` }, v: { N: String(i) } } }),
    );
  for (let i = 0; i < 300; i++) await put(i); // warm-up
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < seconds * 1000) await put(1000 + n++);
  return n / ((performance.now() - started) / 1000);
}

export async function runLocalBench(
  options: { customers?: number; spanSeconds?: number } = {},
): Promise<LocalBench> {
  const pack = loadDefaultPack();
  const recorder = new RunRecorder(pack);
  const startMs = Date.parse(START);
  const stack = await EmbeddedStack.start({ pack, startMs, recorder, prefix: 'lt-bench' });
  try {
    const before = await ceiling(stack, 5);
    const spanMs = (options.spanSeconds ?? 120) * 1000;
    const events = rush(options.customers ?? 600, spanMs);
    let next = 0;
    const source: EventSource = {
      total: events.length,
      peekAt: () => {
        const e = events[next];
        return e === undefined ? Number.POSITIVE_INFINITY : Date.parse(e.time);
      },
      next(clock) {
        const raw = events[next++];
        if (raw === undefined) return undefined;
        const parsed = parseEvent(raw, clock);
        if (!parsed.ok) throw new Error(`bench event ${raw.id} is invalid: ${parsed.reason}`);
        return { ...parsed, raw };
      },
    };
    const started = performance.now();
    const result = await driveEmbedded(stack, recorder, source, { pack, startMs, endMs: startMs + spanMs });
    const seconds = (performance.now() - started) / 1000;
    const writeOps = result.usage.dynamodb.operations.filter((o) =>
      ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].includes(o.operation),
    );
    const writes = writeOps.reduce((n, o) => n + o.entries, 0);
    const writeRequests = writeOps.reduce((n, o) => n + o.requests, 0);
    const after = await ceiling(stack, 5);
    const ceilingOps = (before + after) / 2;
    const eventsPerSec = result.events / seconds;
    const writesPerEvent = writes / result.events;
    return {
      ddbLocalCeilingOpsPerSec: Math.round(ceilingOps),
      eventsPerSec: Math.round(eventsPerSec * 10) / 10,
      writesPerEvent: Math.round(writesPerEvent * 100) / 100,
      writeRequestsPerEvent: Math.round((writeRequests / result.events) * 100) / 100,
      ratioToCeiling: Math.round(((eventsPerSec * writesPerEvent) / ceilingOps) * 1000) / 1000,
      events: result.events,
      seconds: Math.round(seconds * 10) / 10,
      messages: result.outputs.messages,
    };
  } finally {
    await stack.stop();
  }
}
