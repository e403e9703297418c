/**
 * Where a message goes once issued: SQS now (delayed up to its `sendAt`, at most 15 minutes), the held
 * store when `sendAt` is further away, or — when SQS can never take it (too large, refused) — a
 * reference on the rejected queue and an error log. Nothing is dropped silently. Used by the relay for
 * new occurrences and by the dispatcher when it releases held messages.
 */
import type { Message } from '../domain/message.ts';
import type { HeldMessages } from '../ports/held-messages.ts';
import type { MessageQueue, RejectedSink, SendFailure } from '../ports/message-queue.ts';
import { mustHold } from '../ports/message-queue.ts';
import { logger, MetricUnit, metrics } from './powertools.ts';

export interface RoutingPorts {
  queue: MessageQueue;
  held: HeldMessages;
  rejected: RejectedSink;
}

export class MessageSendError extends Error {
  constructor(readonly failures: readonly SendFailure[]) {
    super(`${failures.length} message(s) not queued after retries`);
    this.name = 'MessageSendError';
  }
}

/**
 * Queues messages due within SQS's delay limit and holds the others; reports the messages that can
 * never be queued to `rejected` (a reference without contact or content) and fails on the transient
 * rest, so the caller's record is retried. Shared by the relay and the dispatcher's release of held
 * messages. Returns the ids queued or reported (done with) and the counts.
 */
export async function routeMessages(
  messages: readonly Message[],
  nowMs: number,
  deps: RoutingPorts,
): Promise<{ done: string[]; queued: number; held: number; undeliverable: number }> {
  const later = messages.filter((m) => mustHold(m.sendAt, nowMs));
  const soon = messages.filter((m) => !mustHold(m.sendAt, nowMs));
  if (later.length > 0) await deps.held.hold(later);
  if (soon.length === 0) return { done: [], queued: 0, held: later.length, undeliverable: 0 };
  const report = await deps.queue.send(soon, nowMs);
  const byId = new Map(soon.map((m) => [m.messageId, m] as const));
  const done = [...report.sent];
  const transient: SendFailure[] = [];
  let undeliverable = 0;
  for (const f of report.failed) {
    const m = byId.get(f.messageId);
    if (m === undefined) continue;
    if (f.reason === 'retries-exhausted' || f.reason === 'send-at-too-far') {
      transient.push(f);
      continue;
    }
    // Never dropped silently: a reference goes to the rejected queue (the item still has the occurrence).
    await deps.rejected.sendToRejected(JSON.stringify(undeliverableReference(m, f)), {
      reason: `message ${f.reason}`,
      path: 'message',
      rule: f.reason,
    });
    undeliverable++;
    done.push(m.messageId);
    logger.error('message not queued', {
      messageId: m.messageId,
      campaignId: m.campaignId,
      channel: m.channel,
      reason: f.reason,
      code: f.code,
      bytes: f.bytes,
    });
  }
  if (undeliverable > 0) metrics.addMetric('MessagesUndeliverable', MetricUnit.Count, undeliverable);
  if (transient.length > 0) throw new MessageSendError(transient);
  return { done, queued: report.sent.length, held: later.length, undeliverable };
}

/** What identifies a message without its address or text (those stay in the customer item). */
function undeliverableReference(m: Message, f: SendFailure) {
  return {
    type: 'UndeliverableMessage',
    messageId: m.messageId,
    occurrenceKey: m.occurrenceKey,
    campaignId: m.campaignId,
    brand: m.brand,
    customerId: m.customerId,
    channel: m.channel,
    sendAt: m.sendAt,
    reason: f.reason,
    ...(f.code === undefined ? {} : { code: f.code }),
    ...(f.bytes === undefined ? {} : { bytes: f.bytes }),
  };
}
