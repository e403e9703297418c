import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type {
  StreamBatch,
  StreamReader,
  StreamRecord,
} from '../../functions/adapters/dynamodb/stream-reader.ts';
import { FUNCTIONS } from '../../lib/wiring.ts';
import { SimulatedClock } from '../../local/aws/clock.ts';
import { LocalQueue } from '../../local/aws/sqs.ts';
import type {
  StreamEventSourceOptions,
  StreamFailureRecord,
  StreamSource,
  StreamWindowFields,
} from '../../local/aws/stream-mapping.ts';
import {
  MAX_WINDOW_STATE_BYTES,
  StreamEventSource,
  toDynamoDBRecord,
  wiredStreamOptions,
} from '../../local/aws/stream-mapping.ts';

const T0 = Date.UTC(2025, 2, 10, 10, 0, 0);
const STREAM = 'arn:aws:dynamodb:us-east-1:000000000000:table/customers/stream/2025-01-01T00:00:00.000';

/** Sequence numbers of the shape DynamoDB uses: 21 digits, increasing within a shard. */
const seq = (n: number) => String(100_000_000_000_000_000_000n + BigInt(n));

function record(n: number, createdMs = T0, key = `c-${n}`): StreamRecord {
  return {
    eventID: `ev-${n}`,
    eventName: 'MODIFY',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: new Date(createdMs),
      Keys: { pk: { S: key } },
      NewImage: { pk: { S: key }, n: { N: String(n) } },
      SequenceNumber: seq(n),
      SizeBytes: 40,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

/** A source whose polls hand out what was pushed since the previous poll (one batch per shard). */
class FakeSource {
  private pending: StreamBatch[] = [];
  polls = 0;
  /** Called before each poll returns: lets a test add records "while" the mapping runs. */
  onPoll: ((poll: number) => void) | undefined;

  push(shardId: string, ...records: StreamRecord[]): this {
    const batch = this.pending.find((b) => b.shardId === shardId);
    if (batch === undefined) this.pending.push({ shardId, records });
    else batch.records.push(...records);
    return this;
  }

  async poll(): Promise<StreamBatch[]> {
    this.onPoll?.(++this.polls);
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

/** The sequence numbers' ordinals of an event, for readable expectations. */
const ordinals = (event: DynamoDBStreamEvent) =>
  event.Records.map((r) => Number(BigInt(r.dynamodb?.SequenceNumber ?? '0') - 100_000_000_000_000_000_000n));

type Script = (event: DynamoDBStreamEvent, n: number[], context: Context) => unknown;

function setup(script: Script, options: Partial<StreamEventSourceOptions> = {}) {
  const clock = new SimulatedClock(T0);
  const dlq = new LocalQueue(clock, { name: 'relay-failures' });
  const source = new FakeSource();
  const calls: number[][] = [];
  const mapping = new StreamEventSource(
    source,
    (event, context) => {
      const n = ordinals(event);
      calls.push(n);
      return script(event, n, context);
    },
    {
      batchSize: 100,
      bisectBatchOnError: false,
      retryAttempts: 2,
      maxRecordAgeSeconds: -1,
      reportBatchItemFailures: true,
      onFailure: dlq,
      functionName: 'relay',
      timeoutSeconds: 60,
      memoryMb: 512,
      clock,
      streamArn: STREAM,
      ...options,
    },
  );
  const failures = () => dlq.peekAll().map((m) => JSON.parse(m.body) as StreamFailureRecord);
  return { clock, dlq, source, calls, mapping, failures };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const fail = (...n: number[]): DynamoDBBatchResponse => ({
  batchItemFailures: n.map((i) => ({ itemIdentifier: seq(i) })),
});

describe('StreamEventSource', () => {
  it('hands each shard its records in order, in batches of at most batchSize, as Lambda events', async () => {
    let seen: DynamoDBStreamEvent | undefined;
    let remaining = 0;
    const { source, calls, mapping } = setup(
      (event, _n, context) => {
        seen ??= event;
        remaining = context.getRemainingTimeInMillis();
        expect(context.functionName).toBe('relay');
        return { batchItemFailures: [] };
      },
      { batchSize: 3 },
    );
    source.push('shard-1', ...range(1, 7).map((n) => record(n)));
    const result = await mapping.drain();

    expect(calls).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(remaining).toBe(60_000);
    expect(seen?.Records[0]).toEqual({
      eventID: 'ev-1',
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      eventSourceARN: STREAM,
      dynamodb: {
        ApproximateCreationDateTime: T0 / 1000,
        Keys: { pk: { S: 'c-1' } },
        NewImage: { pk: { S: 'c-1' }, n: { N: '1' } },
        SequenceNumber: seq(1),
        SizeBytes: 40,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(result).toMatchObject({
      polls: 2,
      records: 7,
      invocations: 3,
      delivered: 7,
      processed: 7,
      givenUp: 0,
    });
  });

  it('keeps polling until a poll returns nothing, and keeps cumulative stats', async () => {
    const { source, calls, mapping } = setup(() => undefined, { batchSize: 10 });
    source.push('s', record(1), record(2));
    // Records written while the first batch is processed show up on the next poll.
    source.onPoll = (poll) => {
      if (poll === 2) source.push('s', record(3));
    };
    expect(await mapping.drain()).toMatchObject({ polls: 3, records: 3, invocations: 2 });
    expect(calls).toEqual([[1, 2], [3]]);
    source.push('s', record(4));
    expect(await mapping.drain()).toMatchObject({ polls: 2, records: 1, invocations: 1 });
    expect(mapping.stats()).toMatchObject({ polls: 5, records: 4, invocations: 3, processed: 4 });
    expect(await mapping.drain()).toMatchObject({ polls: 1, records: 0, invocations: 0 });
  });

  it('a partial failure checkpoints before the lowest failed record; it and the rest are redelivered', async () => {
    let first = true;
    const { source, calls, mapping, failures } = setup((_e, n) => {
      if (first) {
        first = false;
        // Two failures reported: the lowest (3) is the checkpoint.
        return fail(5, 3);
      }
      expect(n[0]).toBe(3);
      return fail();
    });
    source.push('s', ...range(1, 6).map((n) => record(n)));
    const result = await mapping.drain();
    expect(calls).toEqual([range(1, 6), range(3, 6)]);
    expect(result).toMatchObject({ invocations: 2, delivered: 10, processed: 6, retried: 1, bisected: 0 });
    expect(failures()).toEqual([]);
  });

  it('with bisectBatchOnError a partial failure splits the batch at the checkpoint (no retry spent)', async () => {
    const { source, calls, mapping, failures } = setup((_e, n) => (n.includes(4) ? fail(4) : undefined), {
      bisectBatchOnError: true,
      retryAttempts: 1,
    });
    source.push('s', ...range(1, 6).map((n) => record(n)));
    const result = await mapping.drain();
    // 1–3 done at the checkpoint; 4–6 fail at their first record: halves [4, 5] and [6]; then [4] alone
    // fails twice (its one retry) and is given up, [5] and [6] go through.
    expect(calls).toEqual([range(1, 6), [4, 5, 6], [4, 5], [4], [4], [5], [6]]);
    expect(result).toMatchObject({ processed: 5, bisected: 3, retried: 1, givenUp: 1 });
    expect(failures().map((f) => f.DDBStreamBatchInfo)).toMatchObject([
      { startSequenceNumber: seq(4), endSequenceNumber: seq(4), batchSize: 1 },
    ]);
  });

  it('a thrown error retries the whole batch retryAttempts times, then sends the on-failure record and moves on', async () => {
    const { clock, source, calls, mapping, failures } = setup(
      (_e, n) => {
        if (n.includes(2)) throw new Error('ledger down');
      },
      { batchSize: 2, retryAttempts: 2 },
    );
    source.push('shard-7', ...range(1, 5).map((n) => record(n, T0 - 5_000 + n * 1_000)));
    const result = await mapping.drain();

    expect(calls).toEqual([[1, 2], [1, 2], [1, 2], [3, 4], [5]]);
    expect(result).toMatchObject({
      invocations: 5,
      errors: 3,
      retried: 2,
      processed: 3,
      givenUp: 2,
      failureRecords: 1,
    });
    const [failure] = failures();
    expect(failure).toEqual({
      requestContext: {
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:relay',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date(clock.now()).toISOString(),
      DDBStreamBatchInfo: {
        shardId: 'shard-7',
        startSequenceNumber: seq(1),
        endSequenceNumber: seq(2),
        approximateArrivalOfFirstRecord: '2025-03-10T09:59:56Z',
        approximateArrivalOfLastRecord: '2025-03-10T09:59:57Z',
        batchSize: 2,
        streamArn: STREAM,
      },
    });
  });

  it('an empty or unknown itemIdentifier fails the whole batch', async () => {
    const responses: unknown[] = [
      { batchItemFailures: [{ itemIdentifier: '' }] },
      { batchItemFailures: [{ itemIdentifier: seq(2) }, { itemIdentifier: 'not-in-batch' }] },
      { batchItemFailures: [{}] },
      { batchItemFailures: null },
    ];
    const { source, calls, mapping } = setup(() => responses.shift(), { retryAttempts: 5 });
    source.push('s', record(1), record(2));
    const result = await mapping.drain();
    expect(calls).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(result).toMatchObject({ retried: 3, processed: 2, givenUp: 0 });
  });

  it('without reportBatchItemFailures a returned failure list is ignored', async () => {
    const { source, calls, mapping } = setup(() => fail(1), { reportBatchItemFailures: false });
    source.push('s', record(1), record(2));
    expect(await mapping.drain()).toMatchObject({ invocations: 1, processed: 2, retried: 0 });
    expect(calls).toEqual([[1, 2]]);
  });

  it('bisects a failing batch until the bad record is alone; only it is given up', async () => {
    const { source, calls, mapping, failures } = setup(
      (_e, n) => {
        if (n.includes(5)) throw new Error('poison');
      },
      { bisectBatchOnError: true, retryAttempts: 1 },
    );
    source.push('s', ...range(0, 7).map((n) => record(n)));
    const result = await mapping.drain();
    expect(calls).toEqual([range(0, 7), range(0, 3), range(4, 7), [4, 5], [4], [5], [5], [6, 7]]);
    expect(result).toMatchObject({ invocations: 8, bisected: 3, retried: 1, processed: 7, givenUp: 1 });
    const [failure] = failures();
    expect(failure?.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      // [0–7], [4–7], [4, 5], [5], [5].
      approximateInvokeCount: 5,
    });
    expect(failure?.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: seq(5),
      endSequenceNumber: seq(5),
      batchSize: 1,
    });
  });

  it('records older than maxRecordAgeSeconds are given up without an invocation', async () => {
    const { source, calls, mapping, failures } = setup(() => undefined, { maxRecordAgeSeconds: 3600 });
    source.push(
      's',
      record(1, T0 - 7_200_000),
      record(2, T0 - 3_600_001),
      // Exactly the maximum age is not older than it.
      record(3, T0 - 3_600_000),
      record(4, T0),
    );
    const result = await mapping.drain();
    expect(calls).toEqual([[3, 4]]);
    expect(result).toMatchObject({ givenUp: 2, processed: 2, failureRecords: 1 });
    const [failure] = failures();
    expect(failure?.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
    });
    expect(failure?.responseContext).toBeUndefined();
    expect(failure?.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: seq(1),
      endSequenceNumber: seq(2),
      batchSize: 2,
      approximateArrivalOfFirstRecord: '2025-03-10T08:00:00Z',
    });
  });

  it('records age while a batch is retried on a moving clock', async () => {
    const { clock, source, calls, mapping, failures } = setup(
      async () => {
        await clock.advanceBy(40_000);
        throw new Error('slow and failing');
      },
      { maxRecordAgeSeconds: 60, retryAttempts: 10 },
    );
    source.push('s', record(1), record(2));
    const result = await mapping.drain();
    // 0 s, 40 s, then at 80 s both records are past 60 s: given up for their age, not their retries.
    expect(calls).toHaveLength(2);
    expect(result).toMatchObject({ retried: 2, givenUp: 2 });
    expect(failures()[0]?.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 2,
    });
    expect(failures()[0]?.responseContext?.functionError).toBe('Unhandled');
  });

  it('recordTime rewrites ApproximateCreationDateTime as records are polled', async () => {
    const clockTime = new Date(T0 - 1_000);
    const { source, mapping, calls } = setup(
      (event) => {
        expect(event.Records[0]?.dynamodb?.ApproximateCreationDateTime).toBe(clockTime.getTime() / 1000);
      },
      {
        maxRecordAgeSeconds: 60,
        // DynamoDB Local stamped wall-clock time years away; the runtime moves it to the clock.
        recordTime: (r) => ({ ...r, dynamodb: { ...r.dynamodb, ApproximateCreationDateTime: clockTime } }),
      },
    );
    source.push('s', record(1, Date.UTC(2020, 0, 1)));
    expect(await mapping.drain()).toMatchObject({ processed: 1, givenUp: 0 });
    expect(calls).toEqual([[1]]);
  });

  it('two shards are independent: one failing shard does not hold the other back', async () => {
    const { source, calls, mapping, failures } = setup(
      (_e, n) => {
        if (n.includes(1)) throw new Error('shard A poison');
      },
      { batchSize: 2, retryAttempts: 1 },
    );
    source.push('A', record(1), record(2), record(3));
    source.push('B', record(11), record(12), record(13));
    const result = await mapping.drain();
    // Shards take turns, one batch each; A's first batch fails twice and is given up, then A moves on.
    expect(calls).toEqual([[1, 2], [11, 12], [1, 2], [13], [3]]);
    expect(result).toMatchObject({ processed: 4, givenUp: 2 });
    expect(failures().map((f) => f.DDBStreamBatchInfo.shardId)).toEqual(['A']);
  });

  it('converts binary attributes and TTL identities the way Lambda does', () => {
    const r = toDynamoDBRecord(
      {
        eventName: 'REMOVE',
        userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' },
        dynamodb: {
          Keys: { pk: { B: Uint8Array.from([1, 2, 3]) } },
          OldImage: {
            pk: { B: Uint8Array.from([1, 2, 3]) },
            l: { L: [{ BS: [Uint8Array.from([255])] }, { M: { s: { S: 'x' } } }] },
          },
        },
      },
      STREAM,
    );
    expect(r.dynamodb?.Keys).toEqual({ pk: { B: 'AQID' } });
    expect(r.dynamodb?.OldImage?.l).toEqual({ L: [{ BS: ['/w=='] }, { M: { s: { S: 'x' } } }] });
    expect(r.userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    expect(r.eventSource).toBe('aws:dynamodb');
  });

  it('wiredStreamOptions reads the relay trigger; invalid settings are refused', () => {
    const trigger = FUNCTIONS.relay.triggers[0];
    if (trigger?.kind !== 'stream') throw new Error('relay has a stream trigger');
    const wired = wiredStreamOptions(FUNCTIONS.relay, trigger);
    expect(wired).toEqual({
      batchSize: 100,
      bisectBatchOnError: true,
      retryAttempts: 10,
      maxRecordAgeSeconds: 6 * 3600,
      reportBatchItemFailures: true,
      tumblingWindowSeconds: 0,
      maxBatchingWindowSeconds: 0,
      functionName: 'relay',
      timeoutSeconds: 60,
      memoryMb: 512,
    });
    const stats = FUNCTIONS.stats.triggers[0];
    if (stats?.kind !== 'stream') throw new Error('stats has a stream trigger');
    expect(wiredStreamOptions(FUNCTIONS.stats, stats)).toMatchObject({
      tumblingWindowSeconds: 900,
      maxBatchingWindowSeconds: 60,
    });
    const clock = new SimulatedClock(T0);
    const make = (o: Partial<StreamEventSourceOptions>) =>
      new StreamEventSource(new FakeSource(), () => undefined, { ...wired, clock, ...o });
    expect(() => make({})).not.toThrow();
    // The Streams API reader is a source as it is.
    const fromReader = (reader: StreamReader): StreamSource => reader;
    expect(fromReader).toBeTypeOf('function');
    expect(() => make({ retryAttempts: -1 })).toThrow(/infinite/);
    expect(() => make({ batchSize: 0 })).toThrow(RangeError);
    expect(() => make({ maxRecordAgeSeconds: 30 })).toThrow(RangeError);
    expect(() => make({ tumblingWindowSeconds: 901 })).toThrow(RangeError);
    expect(() => make({ maxBatchingWindowSeconds: 301 })).toThrow(RangeError);
  });
});

describe('StreamEventSource: tumbling windows and the batching window', () => {
  const WINDOW_S = 900;
  const W0 = T0 - (T0 % (WINDOW_S * 1000));
  type Windowed = DynamoDBStreamEvent & StreamWindowFields;
  /** A handler that sums its records' ordinals in the state and remembers every final state. */
  function summing(options: Partial<StreamEventSourceOptions> = {}) {
    const finals: { sum: number; window: Windowed['window']; early: boolean }[] = [];
    const events: Windowed[] = [];
    const s = setup(
      (event, n) => {
        const e = event as Windowed;
        events.push(e);
        const sum = Number(e.state.sum ?? 0) + n.reduce((a, b) => a + b, 0);
        if (e.isFinalInvokeForWindow) {
          finals.push({ sum, window: e.window, early: e.isWindowTerminatedEarly });
          return { state: {} };
        }
        return { state: { sum }, batchItemFailures: [] };
      },
      { tumblingWindowSeconds: WINDOW_S, ...options },
    );
    return { ...s, finals, events };
  }

  it('carries the state through a window and closes it when a record of the next window comes', async () => {
    const { source, mapping, calls, finals, events } = summing({ batchSize: 2 });
    source.push('shard-1', record(1, T0), record(2, T0 + 1000), record(3, T0 + 2000));
    source.push('shard-1', record(4, W0 + WINDOW_S * 1000 + 5));
    const result = await mapping.drain();

    // A batch never spans two windows: [3] goes alone, then the window closes before [4].
    expect(calls).toEqual([[1, 2], [3], [], [4]]);
    expect(events[0]).toMatchObject({
      window: {
        start: new Date(W0).toISOString().replace('.000', ''),
        end: new Date(W0 + WINDOW_S * 1000).toISOString().replace('.000', ''),
      },
      state: {},
      shardId: 'shard-1',
      eventSourceARN: STREAM,
      isFinalInvokeForWindow: false,
      isWindowTerminatedEarly: false,
    });
    expect(events[1]?.state).toEqual({ sum: 3 });
    expect(finals).toEqual([{ sum: 6, window: events[0]?.window, early: false }]);
    // The next window starts with a fresh state.
    expect(events[3]?.state).toEqual({});
    expect(result).toMatchObject({ invocations: 4, windowsClosed: 1, processed: 4 });
  });

  it('closes a window once the clock has passed its end, and at flush() before that', async () => {
    const { source, mapping, finals, clock } = summing();
    source.push('shard-1', record(1, T0), record(2, T0));
    await mapping.drain();
    expect(finals).toEqual([]);
    await clock.advanceTo(W0 + WINDOW_S * 1000);
    await mapping.drain();
    expect(finals.map((f) => f.sum)).toEqual([3]);

    source.push('shard-1', record(3, clock.now()));
    await mapping.drain();
    expect(finals.map((f) => f.sum)).toEqual([3]);
    expect(await mapping.flush()).toMatchObject({ windowsClosed: 1 });
    expect(finals.map((f) => f.sum)).toEqual([3, 3]);
  });

  it('keeps the state a partial failure returns and retries the rest in the same window', async () => {
    let first = true;
    const finals: number[] = [];
    const { source, mapping, calls } = setup(
      (event, n) => {
        const e = event as Windowed;
        const prior = Number(e.state.sum ?? 0);
        if (e.isFinalInvokeForWindow) {
          finals.push(prior);
          return { state: {} };
        }
        if (first && n.includes(2)) {
          first = false;
          // Record 1 counted, 2 failed: the state holds what was counted.
          return { state: { sum: prior + 1 }, ...fail(2) };
        }
        return { state: { sum: prior + n.reduce((a, b) => a + b, 0) }, batchItemFailures: [] };
      },
      { tumblingWindowSeconds: WINDOW_S },
    );
    source.push('shard-1', record(1), record(2), record(3));
    await mapping.flush();
    expect(calls).toEqual([[1, 2, 3], [2, 3], []]);
    expect(finals).toEqual([6]);
  });

  it('fails an invocation whose response has no state, and retries a failed final invocation', async () => {
    let answers = 0;
    let finalTries = 0;
    const { source, mapping } = setup(
      (event) => {
        const e = event as Windowed;
        if (e.isFinalInvokeForWindow) {
          finalTries++;
          if (finalTries === 1) throw new Error('stats table throttled');
          return { state: {} };
        }
        answers++;
        return answers === 1 ? { batchItemFailures: [] } : { state: { ok: true }, batchItemFailures: [] };
      },
      { tumblingWindowSeconds: WINDOW_S },
    );
    source.push('shard-1', record(1));
    const result = await mapping.flush();
    expect(answers).toBe(2);
    expect(finalTries).toBe(2);
    expect(result).toMatchObject({
      errors: 2,
      retried: 2,
      windowsClosed: 1,
      windowsGivenUp: 0,
      processed: 1,
    });
  });

  it('drops a window whose final invocation keeps failing past retryAttempts', async () => {
    const { source, mapping } = setup(
      (event) => {
        if ((event as Windowed).isFinalInvokeForWindow) throw new Error('down');
        return { state: {}, batchItemFailures: [] };
      },
      { tumblingWindowSeconds: WINDOW_S, retryAttempts: 2 },
    );
    source.push('shard-1', record(1));
    expect(await mapping.flush()).toMatchObject({ windowsGivenUp: 1, windowsClosed: 0, retried: 2 });
  });

  it('ends a window early when its state grows over 1 MB; the window goes on with a fresh state', async () => {
    const big = 'x'.repeat(MAX_WINDOW_STATE_BYTES);
    const states: unknown[] = [];
    const { source, mapping, calls } = setup(
      (event) => {
        const e = event as Windowed;
        states.push({
          final: e.isFinalInvokeForWindow,
          early: e.isWindowTerminatedEarly,
          keys: Object.keys(e.state),
        });
        if (e.isFinalInvokeForWindow) return { state: {} };
        return { state: { big }, batchItemFailures: [] };
      },
      { tumblingWindowSeconds: WINDOW_S, batchSize: 1 },
    );
    source.push('shard-1', record(1), record(2));
    await mapping.flush();
    expect(calls).toEqual([[1], [], [2], [], []]);
    expect(states).toEqual([
      { final: false, early: false, keys: [] },
      { final: true, early: true, keys: ['big'] },
      { final: false, early: false, keys: [] },
      { final: true, early: true, keys: ['big'] },
      { final: true, early: false, keys: [] },
    ]);
  });

  it('with a batching window, records wait for a full batch or for the window to pass', async () => {
    const { source, mapping, calls, clock } = setup(() => ({ batchItemFailures: [] }), {
      batchSize: 3,
      maxBatchingWindowSeconds: 60,
    });
    source.push('shard-1', record(1), record(2));
    expect(await mapping.drain()).toMatchObject({ invocations: 0 });
    source.push('shard-1', record(3), record(4));
    await mapping.drain();
    expect(calls).toEqual([[1, 2, 3]]);
    await clock.advanceTo(clock.now() + 59_000);
    await mapping.drain();
    expect(calls).toEqual([[1, 2, 3]]);
    await clock.advanceTo(clock.now() + 1_000);
    await mapping.drain();
    expect(calls).toEqual([[1, 2, 3], [4]]);
    source.push('shard-1', record(5));
    await mapping.flush();
    expect(calls).toEqual([[1, 2, 3], [4], [5]]);
  });
});
