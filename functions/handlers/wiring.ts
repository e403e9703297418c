/**
 * The composition root shared by the Lambda entry points: SDK clients, adapters and the engine
 * context, each built once per container. Handlers export `makeHandler(deps)` (tests and the local
 * runtime pass fakes or local adapters) and a default `handler` composed from here.
 *
 * The default handlers compose lazily, on the first invocation, so importing a handler module has no
 * side effects: tests and the local runtime import `makeHandler` without AWS configuration, and a
 * missing variable still fails the first request naming it.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
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

export class NotWiredError extends Error {
  constructor(what: string) {
    super(`${what} is not wired into functions/handlers/wiring.ts yet`);
    this.name = 'NotWiredError';
  }
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
export const sqsClient = once(() => tracer.captureAWSv3Client(new SQSClient({})));

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

/**
 * The DynamoDB adapters (functions/adapters/dynamodb, built alongside these handlers): the customer
 * store and due index, ledger, dedupe, watermark and held-message stores, and the stream image codec.
 * Until they are plugged in here, a deployed handler fails its first request with NotWiredError.
 */
export const awsDataLayer = once((): DataLayer => {
  throw new NotWiredError('the DynamoDB data layer');
});
