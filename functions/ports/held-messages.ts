import type { Message } from '../domain/message.ts';

/**
 * Messages whose `sendAt` is further away than SQS can delay (15 minutes): a deferred slot, quiet
 * hours ending tomorrow morning. The relay holds them; the dispatcher releases them into the channel
 * queues on the run before they are due.
 */
export interface HeldMessages {
  /** Stores messages until due; idempotent by `messageId` (a redelivered stream record holds again). */
  hold(messages: readonly Message[]): Promise<void>;
  /** Held messages with `sendAt` ≤ `uptoMs`, earliest first, at most `limit`. */
  due(uptoMs: number, limit: number): Promise<Message[]>;
  /** Forgets messages once they are queued (messages not held are ignored). */
  release(messages: readonly Message[]): Promise<void>;
}
