/**
 * Faults for the chaos run, from one seeded random stream: an SDK middleware that makes DynamoDB calls
 * fail the ways they fail in AWS, and a handler wrapper that crashes invocations the ways Lambda
 * functions crash. Everything is counted by kind.
 *
 * - `throttle`: ThrottlingException before the request is sent (the SDK retries it; three in a row
 *   reach the handler, and SQS or the stream mapping retry the batch).
 * - `timeout-after-write`: the request reaches DynamoDB, then the client sees a TimeoutError (the SDK
 *   retries: a conditional write then finds its own version already written).
 * - `condition-race`: a conditional PutItem fails with ConditionalCheckFailedException without being
 *   sent, as if another worker had written first (the use case reads again).
 * - `crash-after-relay`: the relay wrote its ledger entries and queued its messages, then died before
 *   answering (the stream mapping delivers the batch again).
 * - `crash-after-stats`: the stats λ counted its batch (and, on a window's final invocation, wrote the
 *   window's items), then died before answering: the mapping invokes it again with the same state.
 * - `crash-mid-batch`: an SQS consumer handled the first half of its batch, then died (SQS redelivers the
 *   whole batch after the visibility timeout).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import type { FunctionId } from '../../lib/wiring.ts';
import type { Invocable } from '../embedded/stack.ts';
import { Rng } from '../sim/random.ts';

export type FaultKind =
  | 'throttle'
  | 'timeout-after-write'
  | 'condition-race'
  | 'crash-after-relay'
  | 'crash-after-stats'
  | 'crash-mid-batch';

const DATA_OPERATIONS = new Set([
  'GetItem',
  'BatchGetItem',
  'PutItem',
  'UpdateItem',
  'Query',
  'Scan',
  'BatchWriteItem',
]);
const WRITES = new Set(['PutItem', 'UpdateItem', 'BatchWriteItem']);

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: {} });
}

export class FaultInjector {
  private readonly rng: Rng;
  readonly counts: Record<FaultKind, number> = {
    throttle: 0,
    'timeout-after-write': 0,
    'condition-race': 0,
    'crash-after-relay': 0,
    'crash-after-stats': 0,
    'crash-mid-batch': 0,
  };
  /** Faults are injected while this returns true (the run keeps a calm tail to drain its retries). */
  active: () => boolean = () => true;

  constructor(
    readonly rate: number,
    seed: number,
  ) {
    this.rng = new Rng(seed);
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  private roll(): boolean {
    return this.rate > 0 && this.active() && this.rng.float(0, 1) < this.rate;
  }

  private count(kind: FaultKind): void {
    this.counts[kind]++;
  }

  /** Adds the fault middleware to a DynamoDB client (inside the SDK's retry loop, once per attempt). */
  attach(client: DynamoDBClient): DynamoDBClient {
    type Json = Record<string, unknown>;
    // The SDK's stack is typed per step; this middleware only reads the input, so a loose view will do.
    const stack = client.middlewareStack as unknown as {
      add(middleware: unknown, options: { step: string; name: string; priority?: string }): void;
    };
    stack.add(
      (next: (args: { input: Json }) => Promise<unknown>, context: Json) => async (args: { input: Json }) => {
        const operation = String(context.commandName ?? '').replace(/Command$/, '');
        if (!DATA_OPERATIONS.has(operation) || !this.roll()) return next(args);
        const pick = this.rng.float(0, 1);
        const conditional = typeof args.input.ConditionExpression === 'string';
        if (conditional && operation === 'PutItem' && pick < 0.34) {
          this.count('condition-race');
          throw awsError('ConditionalCheckFailedException', 'chaos: another writer got there first');
        }
        if (WRITES.has(operation) && pick < 0.67) {
          const result = await next(args);
          this.count('timeout-after-write');
          void result;
          throw awsError('TimeoutError', 'chaos: the write went through, the answer did not');
        }
        this.count('throttle');
        throw awsError('ThrottlingException', 'chaos: rate exceeded');
      },
      { step: 'finalizeRequest', name: 'chaosFaults', priority: 'low' },
    );
    return client;
  }

  /** The handler, dying now and then after it did its work, before it answers. */
  private crashAfter(handler: Invocable, kind: FaultKind, what: string): Invocable {
    return async (event, context) => {
      const result = await handler(event, context);
      if (this.roll()) {
        this.count(kind);
        throw new Error(`chaos: ${what}`);
      }
      return result;
    };
  }

  /** Wraps a function's handler with the crashes that function can have. */
  wrap(fn: FunctionId, handler: Invocable): Invocable {
    if (fn === 'relay') {
      return this.crashAfter(handler, 'crash-after-relay', 'the relay crashed after writing and queueing');
    }
    if (fn === 'stats') {
      return this.crashAfter(
        handler,
        'crash-after-stats',
        'the stats λ crashed after counting (and writing)',
      );
    }
    if (fn === 'ingest' || fn === 'evaluate') {
      return async (event, context) => {
        const records = (event as SQSEvent).Records;
        if (!Array.isArray(records) || records.length === 0 || !this.roll()) return handler(event, context);
        this.count('crash-mid-batch');
        await handler({ Records: records.slice(0, Math.ceil(records.length / 2)) }, context);
        throw new Error('chaos: the function crashed mid-batch');
      };
    }
    return handler;
  }
}
