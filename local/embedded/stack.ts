/**
 * The embedded stack: the deployed handler modules, composed by their own `compose(services)`, on
 * Amazon DynamoDB Local (real conditional writes, streams read through the Streams API) with
 * in-process SQS, EventBridge and Scheduler, all on one simulated clock. What triggers what comes from
 * `lib/wiring.ts`, as in the CDK stacks: the bus rules, the SQS event source mappings (batch size,
 * partial batch responses, redrive), the stream mapping (retries, bisection, on-failure queue) and the
 * schedules (dispatch every 15 minutes, the daily sweep).
 *
 * Time only moves when the driver advances the clock. After every event put and every scheduled
 * invocation, `settle()` runs the event source mappings until nothing is left to do at that instant,
 * so each step's consequences (stream → relay → queues) land before the clock moves on.
 */
import './quiet-env.ts';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { Context } from 'aws-lambda';
import { RequestRecorder } from '../../functions/adapters/aws/recorder.ts';
import type { DynamoDbCampaignStats } from '../../functions/adapters/dynamodb/campaign-stats-store.ts';
import { dynamoDbDataLayer } from '../../functions/adapters/dynamodb/data-layer.ts';
import type { StreamBatch, StreamRecord } from '../../functions/adapters/dynamodb/stream-reader.ts';
import { StreamReader } from '../../functions/adapters/dynamodb/stream-reader.ts';
import type { CampaignFile } from '../../functions/domain/campaign.ts';
import type { CampaignDayStats } from '../../functions/domain/campaign-stats.ts';
import type { LedgerEntry } from '../../functions/domain/customer-state.ts';
import { ledgerEntryKey } from '../../functions/domain/customer-state.ts';
import type { EngineContext } from '../../functions/domain/engine.ts';
import type { Message } from '../../functions/domain/message.ts';
import * as dispatch from '../../functions/handlers/dispatch.ts';
import * as evaluate from '../../functions/handlers/evaluate.ts';
import * as ingest from '../../functions/handlers/ingest.ts';
import * as maintenance from '../../functions/handlers/maintenance.ts';
import * as relay from '../../functions/handlers/relay.ts';
import * as stats from '../../functions/handlers/stats.ts';
import type { DataLayer, Services } from '../../functions/handlers/wiring.ts';
import type { DecodeImage } from '../../functions/ports/customer-image.ts';
import { ENV } from '../../functions/shared/env.ts';
import type { FunctionId, QueueId, SqsTrigger, StreamTrigger } from '../../lib/wiring.ts';
import { BUS_RULES, CHANNEL_QUEUES, envNames, FUNCTION_IDS, FUNCTIONS, QUEUES } from '../../lib/wiring.ts';
import type { Clock } from './../aws/clock.ts';
import { SimulatedClock } from './../aws/clock.ts';
import type { DynamoDbLocal } from './../aws/dynamodb-local.ts';
import { startDynamoDbLocal } from './../aws/dynamodb-local.ts';
import type { BusEvent } from './../aws/eventbridge.ts';
import { LocalEventBus } from './../aws/eventbridge.ts';
import { deterministicUuid, makeLambdaContext } from './../aws/lambda.ts';
import { LocalScheduler, wiringExpression } from './../aws/scheduler.ts';
import type { LocalQueue, QueueCalls, SqsHandler } from './../aws/sqs.ts';
import { createWiredQueues, pollToHandler, wiredPollOptions } from './../aws/sqs.ts';
import { asSqsClient, LocalSqsClient } from './../aws/sqs-client.ts';
import type { StreamDrainResult, StreamHandler } from './../aws/stream-mapping.ts';
import { StreamEventSource, wiredStreamOptions } from './../aws/stream-mapping.ts';
import type { RunRecorder } from '../run-recorder.ts';

/** The SDK's default attempts per DynamoDB call (the first one included). */
const SDK_MAX_ATTEMPTS = 3;

/** Due-entry shards of the embedded database: one query per dispatcher bucket (see due-keys.ts). */
export const EMBEDDED_DUE_SHARDS = 1;

export interface EmbeddedStackOptions {
  pack: CampaignFile;
  startMs: number;
  /** Where messages, ledger entries, suppressions and rejections are recorded. */
  recorder: RunRecorder;
  /** Called for every message body queued on a channel queue. */
  onMessage?: (message: Message) => void;
  dueShards?: number;
  /** Table and queue name prefix (default `lt-local`). */
  prefix?: string;
  /**
   * The stack's time (default a SimulatedClock at `startMs`). A SystemClock runs it in real time, for
   * latency measurements: schedules then fire on real timers and `advanceTo` is not used.
   */
  clock?: Clock;
  /** Wraps the DynamoDB client the handlers use (the chaos run injects faults through it). */
  wrapDynamoDb?: (client: DynamoDBClient) => DynamoDBClient;
  /** Wraps each function's handler (the chaos run crashes some invocations). */
  wrapHandler?: (fn: FunctionId, handler: Invocable) => Invocable;
  /** Run the SQS event source mappings concurrently within a settle round, as Lambda does. */
  concurrent?: boolean;
  /** Customers per page of the due index (`DUE_PAGE_LIMIT`; default the handlers' 10,000): small, a
   * wave is a few customers. */
  duePageLimit?: number;
}

/** Per function: invocations and the wall time they took here (not Lambda's). */
export interface FunctionUsage {
  invocations: number;
  errors: number;
  ms: number;
  memoryMb: number;
}

export interface StackUsage {
  dynamodb: ReturnType<RequestRecorder['snapshot']>;
  /** Streams API calls made by the stream mapping (free for Lambda consumers in AWS). */
  streams: ReturnType<RequestRecorder['snapshot']>;
  /**
   * SQS requests per queue as AWS bills them: sends and batches, the event source mappings' receives
   * (one per poll that found messages) and their deletes (DeleteMessageBatch, 10 per call). The delivery
   * workers on the channel queues are not ours; an idle mapping's long polls are not counted.
   */
  sqs: Record<string, number>;
  functions: Record<FunctionId, FunctionUsage>;
  eventBridge: { putEvents: number };
  scheduler: { invocations: number };
  /**
   * Customers evaluated from the due index: by the dispatcher itself and by the evaluate λ (its records
   * that did not fail). The evaluate λ's invocations alone miss the dispatcher's inline evaluations and
   * count a batch of ten as one.
   */
  scheduledEvaluations: number;
  /** Messages left in each dead-letter queue and on-failure queue at the end. */
  deadLetters: Record<string, number>;
}

export type Invocable = (event: unknown, context: Context) => Promise<unknown>;

/**
 * The scheduled evaluations an invocation's result reports: the dispatcher's `evaluated`, or the evaluate
 * λ's records less its batch item failures; 0 for any other function or result.
 */
export function evaluationsIn(fn: FunctionId, event: unknown, result: unknown): number {
  if (typeof result !== 'object' || result === null) return 0;
  if (fn === 'dispatch') {
    const evaluated: unknown = Reflect.get(result, 'evaluated');
    return typeof evaluated === 'number' ? evaluated : 0;
  }
  if (fn !== 'evaluate' || typeof event !== 'object' || event === null) return 0;
  const records: unknown = Reflect.get(event, 'Records');
  const failures: unknown = Reflect.get(result, 'batchItemFailures');
  if (!Array.isArray(records)) return 0;
  return records.length - (Array.isArray(failures) ? failures.length : 0);
}

/** Counts a handler's invocations and time; a thrown error is counted and rethrown. */
function metered(usage: FunctionUsage, handler: Invocable): Invocable {
  return async (event, context) => {
    const started = performance.now();
    usage.invocations++;
    try {
      return await handler(event, context);
    } catch (error) {
      usage.errors++;
      throw error;
    } finally {
      usage.ms += performance.now() - started;
    }
  };
}

function attributeText(attributes: Record<string, MessageAttributeValue>, name: string): string {
  return attributes[name]?.StringValue ?? '';
}

function envelopeIdOf(body: string): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    const id = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'id') : undefined;
    return typeof id === 'string' && id.length <= 128 ? id : null;
  } catch {
    return null;
  }
}

/** The ids added lately: the last `generation` to `2 × generation` of them, in bounded memory. */
export class RecentIds {
  private current = new Set<string>();
  private previous = new Set<string>();

  constructor(private readonly generation: number) {}

  has(id: string): boolean {
    return this.current.has(id) || this.previous.has(id);
  }

  add(id: string): void {
    this.current.add(id);
    if (this.current.size < this.generation) return;
    this.previous = this.current;
    this.current = new Set();
  }
}

/** Customer writes so far: requests that succeeded, and HTTP attempts (failed and retried ones too). */
export interface WriteCounts {
  succeeded: number;
  attempts: number;
}

/**
 * The Customers stream as the mapping polls it: the Streams API is read only while writes made since the
 * last read have not all come back as records, so an idle instant costs no call.
 *
 * A write attempt that failed may still have written: a timeout after DynamoDB took the write (the SDK
 * retries it, and the retry fails its condition on its own version). No successful request counts it,
 * yet its record is in the stream. So when more attempts were made than requests succeeded, the stream
 * is read until a read comes back empty — counting records against successful writes alone would leave
 * that record unread, and the relay one write behind for good (the chaos run's missing last bonuses).
 */
export class CustomersStream {
  private expected = 0;
  private counted = 0;
  private attempted = 0;
  /** Some failed attempt may have written: read until an empty read. */
  private unsure = false;

  constructor(
    private readonly reader: Pick<StreamReader, 'poll'>,
    private readonly writes: () => WriteCounts,
  ) {}

  async poll(): Promise<StreamBatch[]> {
    const { succeeded, attempts } = this.writes();
    if (attempts - this.attempted > succeeded - this.counted) this.unsure = true;
    this.expected += succeeded - this.counted;
    this.counted = succeeded;
    this.attempted = attempts;
    if (this.expected <= 0 && !this.unsure) return [];
    const batches = await this.reader.poll();
    const records = batches.reduce((n, b) => n + b.records.length, 0);
    // A write that changed nothing may leave no record: an empty read settles the count.
    if (records === 0) {
      this.expected = 0;
      this.unsure = false;
    } else {
      this.expected -= records;
    }
    return batches;
  }
}

export class EmbeddedStack {
  readonly clock: Clock;
  readonly ctx: EngineContext;
  readonly bus: LocalEventBus;
  readonly scheduler: LocalScheduler;
  private readonly queues: Record<QueueId, LocalQueue>;
  private readonly deadLetterQueues: Partial<Record<QueueId, LocalQueue>>;
  private readonly sqsPollers: {
    queue: LocalQueue;
    handler: SqsHandler;
    trigger: SqsTrigger;
    fn: FunctionId;
  }[] = [];
  /** The Customers stream's event source mappings (the relay's, the stats λ's), in wiring order. */
  private readonly streams: { fn: FunctionId; mapping: StreamEventSource }[] = [];
  private readonly usageByFunction: Record<FunctionId, FunctionUsage>;
  private scheduledEvaluations = 0;
  private readonly invoke: Record<FunctionId, Invocable>;
  private schedulerInvocations = 0;
  private invocationSeq = 0;
  private readonly channelQueues: Set<LocalQueue>;
  private readonly decodeImage: DecodeImage;
  private readonly idleReceives = new Map<LocalQueue, number>();
  private readonly held: DataLayer['held'];
  private readonly stats: DynamoDbCampaignStats;

  private constructor(
    readonly ddb: DynamoDbLocal,
    private readonly requests: RequestRecorder,
    private readonly streamRequests: RequestRecorder,
    private readonly options: EmbeddedStackOptions,
    clock: Clock,
    client: DynamoDBClient,
    streamArn: string,
  ) {
    this.clock = clock;
    const sqs = new LocalSqsClient({
      onSend: (queue, body, attributes) => this.queued(queue, body, attributes),
    });
    this.ctx = { pack: options.pack, model: null };
    const wired = createWiredQueues(clock, { prefix: options.prefix ?? 'lt-local' });
    this.queues = wired.queues;
    this.deadLetterQueues = wired.deadLetterQueues;
    this.channelQueues = new Set<LocalQueue>(CHANNEL_QUEUES.map((c) => this.queues[c]));
    sqs.register(...Object.values(wired.queues), ...Object.values(wired.deadLetterQueues));

    const layer = dynamoDbDataLayer({
      client,
      names: ddb.names,
      dueShards: options.dueShards ?? EMBEDDED_DUE_SHARDS,
    });
    const recorder = options.recorder;
    this.decodeImage = layer.decodeImage;
    this.held = layer.held;
    this.stats = layer.stats;
    // Ledger entries are recorded as the relay writes them (a redelivered batch writes them again).
    const written = new Set<string>();
    const data: DataLayer = {
      ...layer,
      ledger: {
        async write(entries: readonly LedgerEntry[]) {
          await layer.ledger.write(entries);
          for (const e of entries) {
            const key = ledgerEntryKey(e);
            if (written.has(key)) continue;
            written.add(key);
            recorder.bonus(e);
          }
        },
      },
    };

    this.usageByFunction = Object.fromEntries(
      FUNCTION_IDS.map((id) => [id, { invocations: 0, errors: 0, ms: 0, memoryMb: FUNCTIONS[id].memoryMb }]),
    ) as Record<FunctionId, FunctionUsage>;
    const services = (id: FunctionId): Services => ({
      data,
      sqs: asSqsClient(sqs),
      ctx: this.ctx,
      env: this.envOf(id),
      clock: () => clock.now(),
      // The simulated clock does not move during an invocation: no early timeout.
      handlerOptions: { timeoutEarlyInMillis: 0 },
    });
    const composers: Record<FunctionId, (s: Services) => unknown> = {
      ingest: ingest.compose,
      relay: relay.compose,
      stats: stats.compose,
      dispatch: dispatch.compose,
      evaluate: evaluate.compose,
      maintenance: maintenance.compose,
    };
    const counted = (id: FunctionId, handler: Invocable): Invocable => {
      if (id !== 'dispatch' && id !== 'evaluate') return handler;
      return async (event, context) => {
        const result = await handler(event, context);
        this.scheduledEvaluations += evaluationsIn(id, event, result);
        return result;
      };
    };
    this.invoke = Object.fromEntries(
      FUNCTION_IDS.map((id) => [
        id,
        metered(
          this.usageByFunction[id],
          counted(id, (options.wrapHandler ?? ((_fn, h) => h))(id, composers[id](services(id)) as Invocable)),
        ),
      ]),
    ) as Record<FunctionId, Invocable>;

    // Event source mappings and schedules, from the wiring.
    // No archive: nothing here replays it, and a long run would keep every event put.
    this.bus = new LocalEventBus(clock, { name: `${options.prefix ?? 'lt-local'}-events`, archive: false });
    for (const rule of BUS_RULES) {
      const deadLetterQueue = this.deadLetterQueues[rule.queue];
      this.bus.putRule({
        name: `${rule.id}Rule`,
        eventPattern: rule.pattern,
        targets: [
          { queue: this.queues[rule.queue], ...(deadLetterQueue === undefined ? {} : { deadLetterQueue }) },
        ],
      });
    }
    this.scheduler = new LocalScheduler(clock);
    for (const fn of Object.values(FUNCTIONS)) {
      for (const trigger of fn.triggers) {
        if (trigger.kind === 'sqs') {
          this.sqsPollers.push({
            queue: this.queues[trigger.queue],
            handler: this.invoke[fn.id],
            trigger,
            fn: fn.id,
          });
        } else if (trigger.kind === 'stream') {
          this.streams.push({ fn: fn.id, mapping: this.streamSource(fn.id, trigger, streamArn) });
        } else {
          this.scheduler.create(
            `${fn.id}-${trigger.id}`,
            wiringExpression(trigger),
            async () => {
              this.schedulerInvocations++;
              await this.invokeScheduled(fn.id, { ...trigger.input });
              await this.settle();
            },
            { startMs: options.startMs },
          );
        }
      }
    }
    if (this.streams.length === 0) throw new Error('the wiring has no stream trigger on the customers table');
  }

  /** Every body queued on a channel queue is a message of the run; the rejected queue is rejected.jsonl. */
  private queued(queue: LocalQueue, body: string, attributes: Record<string, MessageAttributeValue>): void {
    if (this.channelQueues.has(queue)) {
      const message = JSON.parse(body) as Message;
      this.options.recorder.message(message);
      this.options.onMessage?.(message);
    } else if (queue === this.queues.rejected) {
      this.options.recorder.rejectedInput({
        line: null,
        eventId: envelopeIdOf(body),
        reason: attributeText(attributes, 'reason'),
        path: attributeText(attributes, 'path'),
        rule: attributeText(attributes, 'rule'),
      });
    }
  }

  /** Starts DynamoDB Local (Java 17+), creates the tables and wires everything; `stop()` ends it. */
  static async start(options: EmbeddedStackOptions): Promise<EmbeddedStack> {
    // The stack's clock is simulated; DynamoDB Local's TTL would expire by the real one (see StartOptions).
    const ddb = await startDynamoDbLocal({ prefix: options.prefix ?? 'lt-local', timeToLive: false });
    try {
      const requests = new RequestRecorder();
      const streamRequests = new RequestRecorder();
      // The SDK's retries, without the wait before each (up to seconds for a throttle): the stack's
      // time is simulated and does not move during an invocation, so the wait only costs wall time.
      const raw = ddb.client({ retryStrategy: new ConfiguredRetryStrategy(SDK_MAX_ATTEMPTS, 0) });
      const client = requests.attach(options.wrapDynamoDb === undefined ? raw : options.wrapDynamoDb(raw));
      const streamArn = await ddb.customersStreamArn();
      const stack = new EmbeddedStack(
        ddb,
        requests,
        streamRequests,
        options,
        options.clock ?? new SimulatedClock(options.startMs),
        client,
        streamArn,
      );
      return stack;
    } catch (error) {
      await ddb.stop();
      throw error;
    }
  }

  private envOf(id: FunctionId): Record<string, string> {
    const env: Record<string, string> = {};
    const names = new Set(envNames(FUNCTIONS[id]));
    for (const q of Object.values(QUEUES)) {
      if (q.urlEnv !== null && names.has(q.urlEnv)) env[q.urlEnv] = this.queues[q.id].url;
    }
    if (this.options.duePageLimit !== undefined) env[ENV.duePageLimit] = String(this.options.duePageLimit);
    return env;
  }

  private streamSource(fn: FunctionId, trigger: StreamTrigger, streamArn: string) {
    const table = this.ddb.names.customers;
    const writes = (): WriteCounts => {
      let succeeded = 0;
      let attempts = 0;
      for (const operation of ['PutItem', 'UpdateItem', 'DeleteItem']) {
        const s = this.requests.get('DynamoDB', operation, table);
        succeeded += s.requests - Object.values(s.errors).reduce((a, b) => a + b, 0);
        attempts += s.attempts;
      }
      return { succeeded, attempts };
    };
    const reader = new StreamReader(this.streamRequests.attach(this.ddb.streams()), streamArn, {
      describeEveryPolls: 100,
    });
    const source = new CustomersStream(reader, writes);
    const handler = this.invoke[fn] as StreamHandler;
    const options = {
      ...wiredStreamOptions(FUNCTIONS[fn], trigger),
      onFailure: this.queues[trigger.onFailure],
      clock: this.clock,
      streamArn,
      // DynamoDB Local stamps records with wall-clock time; the stack's time is the simulated clock.
      recordTime: (record: StreamRecord) =>
        record.dynamodb === undefined
          ? record
          : {
              ...record,
              dynamodb: { ...record.dynamodb, ApproximateCreationDateTime: new Date(this.clock.now()) },
            },
    };
    if (fn !== 'relay') return new StreamEventSource(source, handler, options);
    // The run's campaign counts come from each customer write's old and new image, once per record.
    const decode = this.decodeImage;
    // A batch the relay failed comes back within the same drain: recent ids are enough to count once.
    const seen = new RecentIds(50_000);
    const observed: StreamHandler = (event, context) => {
      for (const record of event.Records) {
        const id = record.eventID ?? record.dynamodb?.SequenceNumber;
        const image = record.dynamodb?.NewImage;
        if (id === undefined || seen.has(id) || image === undefined) continue;
        seen.add(id);
        const next = decode(image);
        const old = record.dynamodb?.OldImage;
        if (next !== null)
          this.options.recorder.customerWritten(old === undefined ? null : decode(old), next);
      }
      return handler(event, context);
    };
    return new StreamEventSource(source, observed, options);
  }

  private async invokeScheduled(fn: FunctionId, input: Record<string, unknown>): Promise<void> {
    const wiring = FUNCTIONS[fn];
    const context = makeLambdaContext(this.clock, {
      functionName: fn,
      timeoutSeconds: wiring.timeoutSeconds,
      memoryMb: wiring.memoryMb,
      awsRequestId: deterministicUuid(`scheduler:${fn}`, this.invocationSeq++),
    });
    try {
      await this.invoke[fn](input, context);
    } catch {
      // Scheduler retries with its own policy; the next run picks up from the watermark anyway.
    }
  }

  /** An event as the shop (or a recorded file) sends it, with its own id, onto the bus. */
  async putEvent(event: BusEvent): Promise<void> {
    await this.bus.putEvent(event);
  }

  /** When the simulated clock's next timer fires (a schedule, a delayed message), or null. */
  nextTimerAt(): number | null {
    if (!(this.clock instanceof SimulatedClock)) throw new Error('nextTimerAt needs the simulated clock');
    return this.clock.nextTimerAt();
  }

  /** Moves the clock, firing every schedule due on the way (each followed by `settle`). */
  async advanceTo(ms: number): Promise<void> {
    if (!(this.clock instanceof SimulatedClock)) throw new Error('advanceTo needs the simulated clock');
    if (ms > this.clock.now()) await this.clock.advanceTo(ms);
  }

  /** Runs the event source mappings until none has anything left to do at this instant. */
  async settle(): Promise<void> {
    for (let round = 0; ; round++) {
      let work = 0;
      const poll = async (p: (typeof this.sqsPollers)[number]) => {
        for (;;) {
          const r = await pollToHandler(p.queue, p.handler, wiredPollOptions(FUNCTIONS[p.fn], p.trigger));
          if (!r.invoked) {
            // An idle poll here stands for Lambda's long poll: not counted as a request.
            this.idleReceives.set(p.queue, (this.idleReceives.get(p.queue) ?? 0) + 1);
            return;
          }
          work += r.received;
        }
      };
      const drain = async () => {
        for (const { mapping } of this.streams) work += (await mapping.drain()).records;
      };
      if (this.options.concurrent === true) {
        // Every mapping at once: one customer may be ingested and evaluated at the same time.
        await Promise.all(this.sqsPollers.map(poll));
        await drain();
      } else {
        for (const p of this.sqsPollers) {
          await poll(p);
          await drain();
        }
      }
      this.deliverChannelQueues();
      if (work === 0) return;
      if (round > 10_000) throw new Error('the embedded stack did not settle after 10,000 rounds');
    }
  }

  /**
   * The end of a run: `settle()`, then the stream consumers invoke what waits for a batching window and
   * close their open tumbling windows (the stats λ writes the last counts), as if time had passed.
   */
  async closeWindows(): Promise<void> {
    await this.settle();
    for (const { mapping } of this.streams) await mapping.flush();
  }

  /** What each stream consumer's mapping did so far (invocations, windows closed …), by function. */
  streamMappings(): Partial<Record<FunctionId, StreamDrainResult>> {
    return Object.fromEntries(this.streams.map(({ fn, mapping }) => [fn, mapping.stats()]));
  }

  /** The delivery workers: channel queue messages are taken as they become visible. */
  private deliverChannelQueues(): void {
    for (const c of CHANNEL_QUEUES) this.queues[c].purge();
  }

  usage(): StackUsage {
    const deadLetters: Record<string, number> = {};
    const count = (q: LocalQueue) => {
      const s = q.stats();
      return s.visible + s.inFlight + s.delayed;
    };
    for (const [id, q] of Object.entries(this.deadLetterQueues)) deadLetters[`${id}-dlq`] = count(q);
    deadLetters.relayFailures = count(this.queues.relayFailures);
    const sqs: Record<string, number> = {};
    for (const q of [...Object.values(this.queues), ...Object.values(this.deadLetterQueues)]) {
      const c = q.calls;
      const sent = c.sendMessage + c.sendMessageBatch;
      const receives = c.receiveMessage - (this.idleReceives.get(q) ?? 0);
      const consumed = this.channelQueues.has(q) ? 0 : receives + Math.ceil(c.deleteMessage / 10);
      const total = sent + consumed + c.changeMessageVisibility;
      if (total > 0) sqs[q.name] = total;
    }
    return {
      dynamodb: this.requests.snapshot(),
      streams: this.streamRequests.snapshot(),
      sqs,
      functions: structuredClone(this.usageByFunction),
      eventBridge: { putEvents: this.bus.putEventsCalls },
      scheduler: { invocations: this.schedulerInvocations },
      scheduledEvaluations: this.scheduledEvaluations,
      deadLetters,
    };
  }

  /**
   * Raw SQS calls per queue id (dead-letter queues as `<id>-dlq`), with the mappings' idle receives:
   * the benchmarks price each call themselves (`usage().sqs` folds them into one number per queue).
   */
  queueCalls(): Record<string, QueueCalls & { idleReceives: number }> {
    const out: Record<string, QueueCalls & { idleReceives: number }> = {};
    const add = (id: string, q: LocalQueue) => {
      out[id] = { ...q.calls, idleReceives: this.idleReceives.get(q) ?? 0 };
    };
    for (const [id, q] of Object.entries(this.queues)) add(id, q);
    for (const [id, q] of Object.entries(this.deadLetterQueues)) add(`${id}-dlq`, q);
    return out;
  }

  /** Customer items in the table: every customer an accepted event or a scan created. */
  async customerCount(): Promise<number> {
    const client = this.ddb.client();
    try {
      let count = 0;
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: this.ddb.names.customers,
            Select: 'COUNT',
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
          }),
        );
        count += page.Count ?? 0;
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return count;
    } finally {
      client.destroy();
    }
  }

  /** Messages still held for a later send (past the run's end): not queued, so not in messages.jsonl. */
  async heldCount(): Promise<number> {
    return (await this.heldIds()).length;
  }

  async heldIds(): Promise<string[]> {
    return (await this.held.due(Number.MAX_SAFE_INTEGER, 1_000_000)).map((m) => m.messageId);
  }

  /**
   * The campaign stats items the stats λ wrote, sorted by brand, campaign and day: the counts of windows
   * still open are not in them until `closeWindows()`.
   */
  async campaignStats(): Promise<CampaignDayStats[]> {
    return this.stats.all();
  }

  async stop(): Promise<void> {
    for (const s of this.scheduler.list()) s.delete();
    await this.ddb.stop();
  }
}
