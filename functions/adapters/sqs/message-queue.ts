/**
 * The channel queues on SQS: each {@link Message} is one body on its channel's queue (email, SMS,
 * push), sent with SendMessageBatch (10 per call), delayed until its `sendAt` with DelaySeconds, and
 * tagged with `channel` and `campaignId` attributes so delivery workers and queue policies can route
 * without parsing the body. Also the rejected-input queue.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Channel } from '../../domain/customer-state.ts';
import type { Message } from '../../domain/message.ts';
import type {
  MessageQueue,
  RejectedSink,
  Rejection,
  SendFailure,
  SendReport,
} from '../../ports/message-queue.ts';
import { delaySecondsFor, MAX_DELAY_SECONDS } from '../../ports/message-queue.ts';
import type { MetricsSink } from '../../shared/powertools.ts';
import { MetricUnit, metrics as sharedMetrics } from '../../shared/powertools.ts';
import type { BatchSenderOptions, OutgoingEntry } from './batch-sender.ts';
import { CoalescingBatchSender, entryBytes, MAX_MESSAGE_BYTES, toAttributes } from './batch-sender.ts';

export interface SqsMessageQueueOptions extends BatchSenderOptions {
  queueUrls: Record<Channel, string>;
  /** Needed by `sendToRejected` only. */
  rejectedQueueUrl?: string;
  metrics?: MetricsSink;
}

export class QueueConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueConfigError';
  }
}

export class MessageTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`message of ${bytes} bytes is over the ${limit}-byte SQS limit`);
    this.name = 'MessageTooLargeError';
  }
}

export class SqsMessageQueue implements MessageQueue, RejectedSink {
  private readonly metrics: MetricsSink;
  private readonly rejected: SqsRejectedQueue | undefined;
  /** Concurrent sends (a relay batch's records) share their SendMessageBatch calls per queue. */
  private readonly sender: CoalescingBatchSender;

  constructor(private readonly options: SqsMessageQueueOptions) {
    this.metrics = options.metrics ?? sharedMetrics;
    this.sender = new CoalescingBatchSender(options);
    const url = options.rejectedQueueUrl;
    this.rejected =
      url === undefined
        ? undefined
        : new SqsRejectedQueue({ ...options, queueUrl: url, metrics: this.metrics });
  }

  async send(messages: readonly Message[], nowMs: number): Promise<SendReport> {
    const report: SendReport = { sent: [], failed: [] };
    const byChannel = new Map<Channel, OutgoingEntry[]>();
    for (const m of messages) {
      const delaySeconds = delaySecondsFor(m.sendAt, nowMs);
      if (delaySeconds > MAX_DELAY_SECONDS) {
        // Sending it now would deliver it early (inside quiet hours, over the cap): the caller holds it.
        report.failed.push({ messageId: m.messageId, reason: 'send-at-too-far' });
        continue;
      }
      const entries = byChannel.get(m.channel) ?? [];
      entries.push({
        key: m.messageId,
        body: JSON.stringify(m),
        attributes: { channel: m.channel, campaignId: m.campaignId },
        delaySeconds,
      });
      byChannel.set(m.channel, entries);
    }
    const results = await Promise.all(
      [...byChannel].map(([channel, entries]) => this.sender.send(this.options.queueUrls[channel], entries)),
    );
    for (const r of results) {
      report.sent.push(...r.sent);
      for (const f of r.failed) {
        const failure: SendFailure = { messageId: f.key, reason: f.reason };
        if (f.code !== undefined) failure.code = f.code;
        if (f.bytes !== undefined) failure.bytes = f.bytes;
        report.failed.push(failure);
      }
    }
    const tooLarge = report.failed.filter((f) => f.reason === 'too-large').length;
    if (tooLarge > 0) this.metrics.addMetric('MessageTooLarge', MetricUnit.Count, tooLarge);
    return report;
  }

  /** Delegates to {@link SqsRejectedQueue} on `rejectedQueueUrl`. */
  sendToRejected(body: string, rejection: Rejection): Promise<void> {
    if (this.rejected === undefined) {
      return Promise.reject(new QueueConfigError('no rejected queue URL configured'));
    }
    return this.rejected.sendToRejected(body, rejection);
  }
}

export interface SqsRejectedQueueOptions {
  client: SQSClient;
  queueUrl: string;
  maxMessageBytes?: number;
  metrics?: MetricsSink;
}

/** The rejected-input queue alone (ingest needs no channel queues). */
export class SqsRejectedQueue implements RejectedSink {
  constructor(private readonly options: SqsRejectedQueueOptions) {}

  async sendToRejected(body: string, rejection: Rejection): Promise<void> {
    const attributes = { reason: rejection.reason, path: rejection.path ?? '', rule: rejection.rule ?? '' };
    const limit = this.options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    const bytes = entryBytes({ key: '', body, attributes });
    if (bytes > limit) {
      // Not sent, and the caller's record fails: it stays on its own queue (and its DLQ), not lost.
      (this.options.metrics ?? sharedMetrics).addMetric('MessageTooLarge', MetricUnit.Count, 1);
      throw new MessageTooLargeError(bytes, limit);
    }
    await this.options.client.send(
      new SendMessageCommand({
        QueueUrl: this.options.queueUrl,
        MessageBody: body,
        MessageAttributes: toAttributes(attributes),
      }),
    );
  }
}
