/**
 * The composition root shared by the Lambda entry points: SDK clients, adapters and the engine
 * context, each built once per container. Every handler module exports `makeHandler(deps)` (tests pass
 * fakes), `compose(services)` (its deps from the services below: the one place that says which adapter
 * feeds which port) and a default `handler` = `compose(awsServices())`. The embedded local runtime
 * calls the same `compose` with DynamoDB Local, in-process SQS and a simulated clock.
 *
 * The default handlers compose lazily, on the first invocation, so importing a handler module has no
 * side effects: tests and the local runtime import `makeHandler` without AWS configuration, and a
 * missing variable still fails the first request naming it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { RequestRecorder } from '../adapters/aws/recorder.ts';
import { dynamoDbDataLayer, tableNamesFromEnv } from '../adapters/dynamodb/data-layer.ts';
import { SqsMessageQueue, SqsRejectedQueue } from '../adapters/sqs/message-queue.ts';
import { customerWorkQueue, SqsWorkQueue } from '../adapters/sqs/work-queue.ts';
import type { EngineContext } from '../domain/engine.ts';
import type { CampaignStatsWriter } from '../ports/campaign-stats.ts';
import type { DecodeImage } from '../ports/customer-image.ts';
import type { CustomerScanner } from '../ports/customer-scanner.ts';
import type { CustomerRef, CustomerStore, DueIndex } from '../ports/customer-store.ts';
import type { HeldMessages } from '../ports/held-messages.ts';
import type { LedgerWriter } from '../ports/ledger-writer.ts';
import type { Watermark } from '../ports/watermark.ts';
import type { WorkQueue } from '../ports/work-queue.ts';
import { loadEngineContext } from '../shared/engine-context.ts';
import type { Env } from '../shared/env.ts';
import { channelQueueUrls, ENV, intEnv, requireEnv } from '../shared/env.ts';
import type { MaintenanceTask } from '../shared/maintenance-tasks.ts';
import { taskKey } from '../shared/maintenance-tasks.ts';
import type { HandlerOptions } from '../shared/powertools.ts';
import { tracer } from '../shared/powertools.ts';

/** The DynamoDB side of the engine, as the handlers see it: ports only. */
export interface DataLayer {
  customers: CustomerStore & DueIndex;
  ledger: LedgerWriter;
  watermark: Watermark;
  held: HeldMessages;
  decodeImage: DecodeImage;
  scanner: CustomerScanner;
  /** Per-campaign, per-day counters (the stats λ adds each tumbling window's). */
  stats: CampaignStatsWriter;
}

/** Memoizes a factory: the first call builds, later calls reuse (one instance per container). */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}

/** A Lambda handler composed on its first invocation and reused for the container's lifetime. */
export function lazyHandler<TEvent, TResult>(
  compose: () => (event: TEvent, context: Context) => Promise<TResult>,
): (event: TEvent, context: Context) => Promise<TResult> {
  const composed = once(compose);
  return (event, context) => composed()(event, context);
}

export const engineContext = once((): EngineContext => loadEngineContext());

/** One SQS client per container, traced; the data layer's request recorder is attached here too. */
export const sqsClient = once(() => requestRecorder().attach(tracer.captureAWSv3Client(new SQSClient({}))));

/** What a handler is composed from: in AWS, `awsServices()`; locally, the embedded stack's. */
export interface Services {
  data: DataLayer;
  sqs: SQSClient;
  ctx: EngineContext;
  /** Queue URLs and tuning variables, as the stack sets them on the function. */
  env: Env;
  /** Epoch ms; the handlers default to `Date.now`. */
  clock?: () => number;
  handlerOptions?: HandlerOptions;
}

export const awsServices = once(
  (): Services => ({ data: awsDataLayer(), sqs: sqsClient(), ctx: engineContext(), env: process.env }),
);

/** The options every composed handler takes from its services: the clock and middy's settings. */
export function commonDeps(s: Services): { clock?: () => number } & HandlerOptions {
  return { ...(s.clock === undefined ? {} : { clock: s.clock }), ...s.handlerOptions };
}

/** Items a handler processes at once (BATCH_CONCURRENCY, default 10). */
export function concurrencyOf(s: Services): number {
  return intEnv(ENV.concurrency, 10, s.env);
}

export function messageQueueOf(s: Services): SqsMessageQueue {
  return new SqsMessageQueue({
    client: s.sqs,
    queueUrls: channelQueueUrls(s.env),
    rejectedQueueUrl: requireEnv(ENV.rejectedQueueUrl, s.env),
  });
}

export function rejectedQueueOf(s: Services): SqsRejectedQueue {
  return new SqsRejectedQueue({ client: s.sqs, queueUrl: requireEnv(ENV.rejectedQueueUrl, s.env) });
}

export function workQueueOf(s: Services): WorkQueue<CustomerRef> {
  return customerWorkQueue({ client: s.sqs, queueUrl: requireEnv(ENV.workQueueUrl, s.env) });
}

export function maintenanceQueueOf(s: Services): WorkQueue<MaintenanceTask> {
  return new SqsWorkQueue<MaintenanceTask>({
    client: s.sqs,
    queueUrl: requireEnv(ENV.maintenanceQueueUrl, s.env),
    keyOf: taskKey,
  });
}

/** Counts requests and consumed capacity per operation and table on every client built here. */
export const requestRecorder = once(() => new RequestRecorder());

/**
 * The DynamoDB adapters: the customer store and due index, ledger, watermark, held-message and campaign
 * stats stores, the stream image codec and the scanner, on one traced client; table names from the
 * environment (a missing one fails the first request, naming the variable).
 */
export const awsDataLayer = once((): DataLayer => {
  const client = requestRecorder().attach(tracer.captureAWSv3Client(new DynamoDBClient({})));
  return dynamoDbDataLayer({ client, names: tableNamesFromEnv() });
});
