import { HELD_BEYOND_MS } from '../domain/guardrails.ts';
import type { Message } from '../domain/message.ts';

/** SQS delays a message by at most 15 minutes; a later `sendAt` is held (see HeldMessages). */
export const MAX_DELAY_SECONDS = HELD_BEYOND_MS / 1000;

/** DelaySeconds for a `sendAt`: whole seconds rounded up (never early), 0 when already due. */
export function delaySecondsFor(sendAt: string, nowMs: number): number {
  return Math.max(0, Math.ceil((Date.parse(sendAt) - nowMs) / 1000));
}

/** Whether a message sent at `nowMs` is held rather than queued: its `sendAt` is further than SQS delays. */
export function mustHold(sendAt: string, nowMs: number): boolean {
  return delaySecondsFor(sendAt, nowMs) > MAX_DELAY_SECONDS;
}

/** Why a message was not queued. Every reason is reported: nothing is dropped silently. */
export type SendFailureReason =
  /** Body and attributes over the queue's message size limit: never sent (metric `MessageTooLarge`). */
  | 'too-large'
  /** `sendAt` more than {@link MAX_DELAY_SECONDS} away: the caller must hold it instead. */
  | 'send-at-too-far'
  /** SQS refused the entry as the sender's fault (invalid content): retrying cannot help. */
  | 'rejected'
  /** SQS failed the entry on its side on every attempt. */
  | 'retries-exhausted';

export interface SendFailure {
  messageId: string;
  reason: SendFailureReason;
  /** SQS error code, when SQS answered. */
  code?: string;
  /** Size of body plus attributes in bytes, for `too-large`. */
  bytes?: number;
}

export interface SendReport {
  /** Message ids queued (each once, even when given twice). */
  sent: string[];
  failed: SendFailure[];
}

/**
 * The channel queues (email, SMS, push): one SQS body per message, the {@link Message} contract.
 * Delivery is at least once; delivery workers deduplicate on `messageId`.
 */
export interface MessageQueue {
  /**
   * Queues messages on their channel's queue, each delayed until its `sendAt` (relative to `nowMs`).
   * Resolves with what was and was not queued; rejects only when SQS could not be called at all.
   */
  send(messages: readonly Message[], nowMs: number): Promise<SendReport>;
}

/** Why an input was rejected: a reason naming the field path and the rule, never the value. */
export interface Rejection {
  reason: string;
  path?: string;
  rule?: string;
}

/** The rejected-input queue (the DLQ of bad input): the original body with its reason. */
export interface RejectedSink {
  /** Queues `body` unchanged with the rejection as message attributes; rejects when that fails. */
  sendToRejected(body: string, rejection: Rejection): Promise<void>;
}
