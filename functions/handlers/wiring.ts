/**
 * The composition root shared by the Lambda entry points: SDK clients, adapters and the engine
 * context, each built once per container. Handlers export `makeHandler(deps)` (tests and the local
 * runtime pass fakes or local adapters) and a default `handler` composed from here.
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
import { customerWorkQueue } from '../adapters/sqs/work-queue.ts';
import type { EngineContext } from '../domain/engine.ts';
import type { DecodeImage } from '../ports/customer-image.ts';
import type { CustomerScanner } from '../ports/customer-scanner.ts';
import type { CustomerRef, CustomerStore, DueIndex } from '../ports/customer-store.ts';
import type { EventDedupe } from '../ports/event-dedupe.ts';
import type { HeldMessages } from '../ports/held-messages.ts';
import type { LedgerWriter } from '../ports/ledger-writer.ts';
import type { Watermark } from '../ports/watermark.ts';
import type { WorkQueue } from '../ports/work-queue.ts';
import { loadEngineContext } from '../shared/engine-context.ts';
import { channelQueueUrls, ENV, requireEnv } from '../shared/env.ts';
import { tracer } from '../shared/powertools.ts';

/** The DynamoDB side of the engine, as the handlers see it: ports only. */
export interface DataLayer {
  customers: CustomerStore & DueIndex;
  ledger: LedgerWriter;
  dedupe?: EventDedupe;
  watermark: Watermark;
  held: HeldMessages;
  decodeImage: DecodeImage;
  scanner: CustomerScanner;
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

export const sqsMessageQueue = once(
  () =>
    new SqsMessageQueue({
      client: sqsClient(),
      queueUrls: channelQueueUrls(),
      rejectedQueueUrl: requireEnv(ENV.rejectedQueueUrl),
    }),
);

export const rejectedQueue = once(
  () => new SqsRejectedQueue({ client: sqsClient(), queueUrl: requireEnv(ENV.rejectedQueueUrl) }),
);

export const workQueue = once(
  (): WorkQueue<CustomerRef> =>
    customerWorkQueue({ client: sqsClient(), queueUrl: requireEnv(ENV.workQueueUrl) }),
);

/** Counts requests and consumed capacity per operation and table on every client built here. */
export const requestRecorder = once(() => new RequestRecorder());

/**
 * The DynamoDB adapters: the customer store and due index, ledger, dedupe, watermark and held-message
 * stores, the stream image codec and the scanner, on one traced client; table names from the
 * environment (a missing one fails the first request, naming the variable).
 */
export const awsDataLayer = once((): DataLayer => {
  const client = requestRecorder().attach(tracer.captureAWSv3Client(new DynamoDBClient({})));
  return dynamoDbDataLayer({ client, names: tableNamesFromEnv() });
});
