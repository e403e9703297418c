/**
 * An `SQSClient` stand-in over the in-process queues of `sqs.ts`: the SQS adapters take it (through
 * `asSqsClient`) and their requests land in `LocalQueue`s, routed by `QueueUrl`, with the answers and
 * errors the real service gives — per-entry `Successful`/`Failed` for batches, request-level errors as
 * the SDK's own exception classes (`QueueDoesNotExist`, `BatchRequestTooLong`, …) carrying the query
 * error `Code` (`AWS.SimpleQueueService.NonExistentQueue`, …), a `$metadata` on every answer.
 *
 * Supported: SendMessage, SendMessageBatch, ReceiveMessage, DeleteMessage, DeleteMessageBatch,
 * ChangeMessageVisibility, GetQueueAttributes, GetQueueUrl. Anything else throws
 * {@link UnsupportedSqsCommandError} naming the command. Standard queues only (no FIFO parameters);
 * ReceiveMessage never waits (`WaitTimeSeconds` is validated, not slept: the caller owns time).
 */
import { createHash } from 'node:crypto';
import type {
  BatchResultErrorEntry,
  ChangeMessageVisibilityCommandInput,
  ChangeMessageVisibilityCommandOutput,
  DeleteMessageBatchCommandInput,
  DeleteMessageBatchCommandOutput,
  DeleteMessageCommandInput,
  DeleteMessageCommandOutput,
  GetQueueAttributesCommandInput,
  GetQueueAttributesCommandOutput,
  GetQueueUrlCommandInput,
  GetQueueUrlCommandOutput,
  Message,
  MessageAttributeValue,
  QueueAttributeName,
  ReceiveMessageCommandInput,
  ReceiveMessageCommandOutput,
  SendMessageBatchCommandInput,
  SendMessageBatchCommandOutput,
  SendMessageCommandInput,
  SendMessageCommandOutput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  BatchEntryIdsNotDistinct,
  BatchRequestTooLong,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  EmptyBatchRequest,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidAttributeName,
  InvalidBatchEntryId,
  MessageNotInflight,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSServiceException,
  TooManyEntriesInBatchRequest,
} from '@aws-sdk/client-sqs';
import { deterministicUuid } from './lambda.ts';
import type { LocalQueue, ReceivedMessage, SendBatchEntry } from './sqs.ts';
import { MAX_BATCH_ENTRIES, MAX_MESSAGE_BYTES, SqsError } from './sqs.ts';

/** The operations the client answers, by their API name. */
export type SqsOperation =
  | 'SendMessage'
  | 'SendMessageBatch'
  | 'ReceiveMessage'
  | 'DeleteMessage'
  | 'DeleteMessageBatch'
  | 'ChangeMessageVisibility'
  | 'GetQueueAttributes'
  | 'GetQueueUrl';

/** What `onSend` learns besides the queue, body and attributes. */
export interface AcceptedMessage {
  messageId: string;
  /** The delay it was sent with (the entry's DelaySeconds, else the queue's). */
  delaySeconds: number;
  operation: 'SendMessage' | 'SendMessageBatch';
}

export type OnSend = (
  queue: LocalQueue,
  body: string,
  attributes: Record<string, MessageAttributeValue>,
  message: AcceptedMessage,
) => void;

export interface LocalSqsClientOptions {
  /** Queues to route to (more can be added with `register`). */
  queues?: Iterable<LocalQueue>;
  /** Called for every message a queue accepted through this client (not for failed entries). */
  onSend?: OnSend;
}

/** A command the local client does not implement (a limitation of the stand-in, not an SQS error). */
export class UnsupportedSqsCommandError extends Error {
  constructor(readonly command: string) {
    super(
      `LocalSqsClient does not support ${command}; supported: ${SUPPORTED.map(([, op]) => `${op}Command`).join(', ')}`,
    );
    this.name = 'UnsupportedSqsCommandError';
  }
}

type Metadata = SendMessageCommandOutput['$metadata'];
type ModelledError = new (options: { message: string; $metadata: Metadata }) => SQSServiceException;

/** The SDK's exception class and the query-compatible error code of each modelled SQS error. */
const MODELLED: Record<string, { type: ModelledError; code: string }> = {
  QueueDoesNotExist: { type: QueueDoesNotExist, code: 'AWS.SimpleQueueService.NonExistentQueue' },
  EmptyBatchRequest: { type: EmptyBatchRequest, code: 'AWS.SimpleQueueService.EmptyBatchRequest' },
  TooManyEntriesInBatchRequest: {
    type: TooManyEntriesInBatchRequest,
    code: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  },
  BatchEntryIdsNotDistinct: {
    type: BatchEntryIdsNotDistinct,
    code: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  },
  BatchRequestTooLong: { type: BatchRequestTooLong, code: 'AWS.SimpleQueueService.BatchRequestTooLong' },
  InvalidBatchEntryId: { type: InvalidBatchEntryId, code: 'AWS.SimpleQueueService.InvalidBatchEntryId' },
  MessageNotInflight: { type: MessageNotInflight, code: 'AWS.SimpleQueueService.MessageNotInflight' },
  ReceiptHandleIsInvalid: { type: ReceiptHandleIsInvalid, code: 'ReceiptHandleIsInvalid' },
  InvalidAttributeName: { type: InvalidAttributeName, code: 'InvalidAttributeName' },
};

const SUPPORTED: readonly (readonly [abstract new (...args: never[]) => object, SqsOperation])[] = [
  [SendMessageCommand, 'SendMessage'],
  [SendMessageBatchCommand, 'SendMessageBatch'],
  [ReceiveMessageCommand, 'ReceiveMessage'],
  [DeleteMessageCommand, 'DeleteMessage'],
  [DeleteMessageBatchCommand, 'DeleteMessageBatch'],
  [ChangeMessageVisibilityCommand, 'ChangeMessageVisibility'],
  [GetQueueAttributesCommand, 'GetQueueAttributes'],
  [GetQueueUrlCommand, 'GetQueueUrl'],
];

/** The queue attributes GetQueueAttributes knows (the SDK's QueueAttributeName values). */
const QUEUE_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set<QueueAttributeName>([
  'All',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesDelayed',
  'ApproximateNumberOfMessagesNotVisible',
  'ContentBasedDeduplication',
  'CreatedTimestamp',
  'DeduplicationScope',
  'DelaySeconds',
  'FifoQueue',
  'FifoThroughputLimit',
  'KmsDataKeyReusePeriodSeconds',
  'KmsMasterKeyId',
  'LastModifiedTimestamp',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'Policy',
  'QueueArn',
  'ReceiveMessageWaitTimeSeconds',
  'RedriveAllowPolicy',
  'RedrivePolicy',
  'SqsManagedSseEnabled',
  'VisibilityTimeout',
]);

const BATCH_ID = /^[\w-]{1,80}$/;

/**
 * MD5OfMessageAttributes as SQS computes it: attributes sorted by name, each encoded as the name, the
 * data type (both length-prefixed, 4 bytes big-endian), a transport byte (1 string, 2 binary) and the
 * length-prefixed value.
 */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const parts: Buffer[] = [];
  const prefixed = (bytes: Uint8Array) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.byteLength);
    parts.push(length, Buffer.from(bytes));
  };
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name];
    if (value === undefined) continue;
    prefixed(Buffer.from(name, 'utf8'));
    prefixed(Buffer.from(value.DataType ?? '', 'utf8'));
    if (value.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      prefixed(value.BinaryValue);
    } else {
      parts.push(Buffer.from([1]));
      prefixed(Buffer.from(value.StringValue ?? '', 'utf8'));
    }
  }
  return createHash('md5').update(Buffer.concat(parts)).digest('hex');
}

export class LocalSqsClient {
  private readonly queues = new Map<string, LocalQueue>();
  private readonly onSend: OnSend | undefined;
  private readonly counts: Partial<Record<SqsOperation, number>> = {};
  private requests = 0;

  constructor(options: LocalSqsClientOptions = {}) {
    this.onSend = options.onSend;
    for (const queue of options.queues ?? []) this.register(queue);
  }

  /** Routes `queue.url` to `queue`. Registering the same queue twice is a no-op. */
  register(...queues: LocalQueue[]): this {
    for (const queue of queues) {
      const known = this.queues.get(queue.url);
      if (known !== undefined && known !== queue)
        throw new Error(`another queue is registered at ${queue.url}`);
      this.queues.set(queue.url, queue);
    }
    return this;
  }

  /** The queue registered at `url`, if any. */
  queue(url: string): LocalQueue | undefined {
    return this.queues.get(url);
  }

  /** Requests made per operation (SQS bills per request), failed ones included; operations never called are absent. */
  calls(): Record<string, number> {
    return { ...this.counts };
  }

  send(command: SendMessageCommand): Promise<SendMessageCommandOutput>;
  send(command: SendMessageBatchCommand): Promise<SendMessageBatchCommandOutput>;
  send(command: ReceiveMessageCommand): Promise<ReceiveMessageCommandOutput>;
  send(command: DeleteMessageCommand): Promise<DeleteMessageCommandOutput>;
  send(command: DeleteMessageBatchCommand): Promise<DeleteMessageBatchCommandOutput>;
  send(command: ChangeMessageVisibilityCommand): Promise<ChangeMessageVisibilityCommandOutput>;
  send(command: GetQueueAttributesCommand): Promise<GetQueueAttributesCommandOutput>;
  send(command: GetQueueUrlCommand): Promise<GetQueueUrlCommandOutput>;
  async send(command: object): Promise<unknown> {
    const operation = operationOf(command);
    const input = (command as { input?: unknown }).input ?? {};
    this.counts[operation] = (this.counts[operation] ?? 0) + 1;
    const $metadata: Metadata = {
      httpStatusCode: 200,
      requestId: deterministicUuid('local-sqs-client', this.requests++),
      attempts: 1,
      totalRetryDelay: 0,
    };
    try {
      return { ...this.dispatch(operation, input), $metadata };
    } catch (error) {
      if (error instanceof SqsError) throw serviceError(error.code, error.message, $metadata);
      throw error;
    }
  }

  /** Nothing to release; here because code may call it on an `SQSClient`. */
  destroy(): void {}

  private dispatch(operation: SqsOperation, input: unknown): object {
    switch (operation) {
      case 'SendMessage':
        return this.sendMessage(input as SendMessageCommandInput);
      case 'SendMessageBatch':
        return this.sendMessageBatch(input as SendMessageBatchCommandInput);
      case 'ReceiveMessage':
        return this.receiveMessage(input as ReceiveMessageCommandInput);
      case 'DeleteMessage':
        return this.deleteMessage(input as DeleteMessageCommandInput);
      case 'DeleteMessageBatch':
        return this.deleteMessageBatch(input as DeleteMessageBatchCommandInput);
      case 'ChangeMessageVisibility':
        return this.changeMessageVisibility(input as ChangeMessageVisibilityCommandInput);
      case 'GetQueueAttributes':
        return this.getQueueAttributes(input as GetQueueAttributesCommandInput);
      case 'GetQueueUrl':
        return this.getQueueUrl(input as GetQueueUrlCommandInput);
    }
  }

  private target(url: string | undefined): LocalQueue {
    if (url === undefined || url === '') {
      throw new SqsError('MissingParameter', 'The request must contain the parameter QueueUrl.');
    }
    const queue = this.queues.get(url);
    if (queue === undefined) {
      throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
    }
    return queue;
  }

  private sendMessage(input: SendMessageCommandInput): Omit<SendMessageCommandOutput, '$metadata'> {
    const queue = this.target(input.QueueUrl);
    const body = input.MessageBody ?? '';
    const attributes = input.MessageAttributes ?? {};
    const sent = queue.send(body, {
      attributes,
      ...(input.DelaySeconds === undefined ? {} : { delaySeconds: input.DelaySeconds }),
    });
    this.onSend?.(queue, body, attributes, {
      messageId: sent.MessageId,
      delaySeconds: input.DelaySeconds ?? queue.delaySeconds,
      operation: 'SendMessage',
    });
    return {
      MessageId: sent.MessageId,
      MD5OfMessageBody: sent.MD5OfMessageBody,
      ...(Object.keys(attributes).length === 0
        ? {}
        : { MD5OfMessageAttributes: md5OfMessageAttributes(attributes) }),
    };
  }

  /** Request-level checks and per-entry results exactly as `LocalQueue.sendBatch` makes them. */
  private sendMessageBatch(
    input: SendMessageBatchCommandInput,
  ): Omit<SendMessageBatchCommandOutput, '$metadata'> {
    const queue = this.target(input.QueueUrl);
    const entries: SendBatchEntry[] = (input.Entries ?? []).map((e) => ({
      id: e.Id ?? '',
      body: e.MessageBody ?? '',
      attributes: e.MessageAttributes ?? {},
      ...(e.DelaySeconds === undefined ? {} : { delaySeconds: e.DelaySeconds }),
    }));
    const result = queue.sendBatch(entries);
    const byId = new Map(entries.map((e) => [e.id, e] as const));
    const successful = result.Successful.map((ok) => {
      const entry = byId.get(ok.Id);
      const attributes = entry?.attributes ?? {};
      if (entry !== undefined) {
        this.onSend?.(queue, entry.body, attributes, {
          messageId: ok.MessageId,
          delaySeconds: entry.delaySeconds ?? queue.delaySeconds,
          operation: 'SendMessageBatch',
        });
      }
      return {
        Id: ok.Id,
        MessageId: ok.MessageId,
        MD5OfMessageBody: ok.MD5OfMessageBody,
        ...(Object.keys(attributes).length === 0
          ? {}
          : { MD5OfMessageAttributes: md5OfMessageAttributes(attributes) }),
      };
    });
    const failed: BatchResultErrorEntry[] = result.Failed.map((f) => ({ ...f }));
    return { Successful: successful, Failed: failed };
  }

  private receiveMessage(input: ReceiveMessageCommandInput): Omit<ReceiveMessageCommandOutput, '$metadata'> {
    const queue = this.target(input.QueueUrl);
    const wait = input.WaitTimeSeconds;
    if (wait !== undefined && (!Number.isInteger(wait) || wait < 0 || wait > 20)) {
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`,
      );
    }
    const received = queue.receive(
      input.MaxNumberOfMessages ?? 1,
      input.VisibilityTimeout === undefined ? {} : { visibilityTimeoutSeconds: input.VisibilityTimeout },
    );
    const systemNames = [...(input.AttributeNames ?? []), ...(input.MessageSystemAttributeNames ?? [])];
    const attributeNames = input.MessageAttributeNames ?? [];
    // An empty receive answers without a Messages member, as the JSON protocol does.
    if (received.length === 0) return {};
    return { Messages: received.map((m) => toMessage(m, systemNames, attributeNames)) };
  }

  private deleteMessage(input: DeleteMessageCommandInput): Omit<DeleteMessageCommandOutput, '$metadata'> {
    const queue = this.target(input.QueueUrl);
    // A stale receipt handle deletes nothing and still succeeds, as on SQS.
    queue.delete(requiredHandle(input.ReceiptHandle));
    return {};
  }

  private deleteMessageBatch(
    input: DeleteMessageBatchCommandInput,
  ): Omit<DeleteMessageBatchCommandOutput, '$metadata'> {
    const queue = this.target(input.QueueUrl);
    const entries = input.Entries ?? [];
    checkBatchShape(entries.map((e) => e.Id ?? ''));
    const out: Omit<DeleteMessageBatchCommandOutput, '$metadata'> = { Successful: [], Failed: [] };
    for (const entry of entries) {
      const id = entry.Id ?? '';
      if (!BATCH_ID.test(id)) {
        out.Failed?.push({
          Id: id,
          SenderFault: true,
          Code: 'InvalidBatchEntryId',
          Message: `A batch entry id can only contain alphanumeric characters, hyphens and underscores (${id}).`,
        });
        continue;
      }
      if (entry.ReceiptHandle === undefined || entry.ReceiptHandle === '') {
        out.Failed?.push({
          Id: id,
          SenderFault: true,
          Code: 'ReceiptHandleIsInvalid',
          Message: 'The receipt handle is missing.',
        });
        continue;
      }
      queue.delete(entry.ReceiptHandle);
      out.Successful?.push({ Id: id });
    }
    return out;
  }

  private changeMessageVisibility(
    input: ChangeMessageVisibilityCommandInput,
  ): Omit<ChangeMessageVisibilityCommandOutput, '$metadata'> {
    const queue = this.target(input.QueueUrl);
    if (input.VisibilityTimeout === undefined) {
      throw new SqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
    }
    queue.changeVisibility(requiredHandle(input.ReceiptHandle), input.VisibilityTimeout);
    return {};
  }

  private getQueueAttributes(
    input: GetQueueAttributesCommandInput,
  ): Omit<GetQueueAttributesCommandOutput, '$metadata'> {
    const queue = this.target(input.QueueUrl);
    const names = input.AttributeNames ?? [];
    for (const name of names) {
      if (!QUEUE_ATTRIBUTE_NAMES.has(name)) {
        throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      }
    }
    const stats = queue.stats();
    const all: Partial<Record<QueueAttributeName, string>> = {
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(stats.visible),
      ApproximateNumberOfMessagesNotVisible: String(stats.inFlight),
      ApproximateNumberOfMessagesDelayed: String(stats.delayed),
      VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(queue.retentionSeconds),
      DelaySeconds: String(queue.delaySeconds),
      MaximumMessageSize: String(MAX_MESSAGE_BYTES),
      ReceiveMessageWaitTimeSeconds: '0',
      SqsManagedSseEnabled: 'true',
      ...(queue.redrive === undefined
        ? {}
        : {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: queue.redrive.deadLetterQueue.arn,
              maxReceiveCount: queue.redrive.maxReceiveCount,
            }),
          }),
    };
    if (names.includes('All')) return { Attributes: all };
    const picked: Partial<Record<QueueAttributeName, string>> = {};
    for (const name of names) {
      const value = all[name];
      if (value !== undefined) picked[name] = value;
    }
    // Nothing asked (or nothing set of what was asked): no Attributes member.
    return Object.keys(picked).length === 0 ? {} : { Attributes: picked };
  }

  private getQueueUrl(input: GetQueueUrlCommandInput): Omit<GetQueueUrlCommandOutput, '$metadata'> {
    for (const queue of this.queues.values()) {
      const owner = queue.arn.split(':')[4];
      if (
        queue.name === input.QueueName &&
        (input.QueueOwnerAWSAccountId === undefined || input.QueueOwnerAWSAccountId === owner)
      ) {
        return { QueueUrl: queue.url };
      }
    }
    throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
  }
}

/** The local client where the adapters expect an `SQSClient` (they only call `send`). */
export function asSqsClient(local: LocalSqsClient): SQSClient {
  return local as unknown as SQSClient;
}

function operationOf(command: object): SqsOperation {
  const name = command.constructor.name;
  // By class, or by name when a second copy of the SDK module built the command.
  for (const [type, operation] of SUPPORTED) {
    if (command instanceof type || name === `${operation}Command`) return operation;
  }
  throw new UnsupportedSqsCommandError(name === 'Object' ? 'a plain object (not an SQS command)' : name);
}

/** The error the SDK would throw: its modelled exception class when there is one, with the query `Code`. */
function serviceError(code: string, message: string, ok: Metadata): SQSServiceException {
  const $metadata: Metadata = { ...ok, httpStatusCode: code === 'ReceiptHandleIsInvalid' ? 404 : 400 };
  const modelled = MODELLED[code];
  const error =
    modelled === undefined
      ? new SQSServiceException({ name: code, $fault: 'client', message, $metadata })
      : new modelled.type({ message, $metadata });
  const queryCode = modelled?.code ?? code;
  return Object.assign(error, {
    Code: queryCode,
    Type: 'Sender',
    Error: { Code: queryCode, Type: 'Sender', Message: message },
  });
}

function requiredHandle(handle: string | undefined): string {
  if (handle === undefined || handle === '') {
    throw new SqsError('MissingParameter', 'The request must contain the parameter ReceiptHandle.');
  }
  return handle;
}

/** The request-level checks of a batch call (entry count, distinct ids). */
function checkBatchShape(ids: readonly string[]): void {
  if (ids.length === 0) {
    throw new SqsError('EmptyBatchRequest', 'There should be at least one entry in the request.');
  }
  if (ids.length > MAX_BATCH_ENTRIES) {
    throw new SqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${ids.length}.`,
    );
  }
  if (new Set(ids).size !== ids.length) {
    throw new SqsError(
      'BatchEntryIdsNotDistinct',
      'Two or more batch entries in the request have the same Id.',
    );
  }
}

function wants(names: readonly string[], name: string): boolean {
  return names.some(
    (n) => n === 'All' || n === '.*' || n === name || (n.endsWith('.*') && name.startsWith(n.slice(0, -1))),
  );
}

function toMessage(
  m: ReceivedMessage,
  systemNames: readonly string[],
  attributeNames: readonly string[],
): Message {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(m.attributes)) {
    if (systemNames.includes('All') || systemNames.includes(name)) attributes[name] = value;
  }
  const messageAttributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(m.messageAttributes)) {
    if (wants(attributeNames, name)) messageAttributes[name] = value;
  }
  const hasAttributes = Object.keys(messageAttributes).length > 0;
  return {
    MessageId: m.messageId,
    ReceiptHandle: m.receiptHandle,
    MD5OfBody: m.md5OfBody,
    Body: m.body,
    ...(Object.keys(attributes).length === 0 ? {} : { Attributes: attributes }),
    ...(hasAttributes
      ? {
          MessageAttributes: messageAttributes,
          MD5OfMessageAttributes: md5OfMessageAttributes(messageAttributes),
        }
      : {}),
  };
}
