/**
 * The embedded stack's stream mapping reads every customer write, including one whose answer the client
 * never saw: a PutItem that reached DynamoDB and then timed out (the SDK retries it, the retry finds its
 * own version and fails its condition). The write is in the stream all the same, so the relay must get
 * its record at once — in the chaos run a skipped record left the relay one write behind for the rest
 * of the run, and the last writes' bonuses and messages were never relayed.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../local/aws/eventbridge.ts';
import { DEFAULT_ACCOUNT, DEFAULT_REGION } from '../../local/aws/lambda.ts';
import { EmbeddedStack } from '../../local/embedded/stack.ts';
import { RunRecorder } from '../../local/run-recorder.ts';
import { DEFAULT_PACK } from '../unit/fixtures.ts';

const START_MS = Date.parse('2026-02-02T10:00:00.000Z');

/** Customer PutItems whose write goes through while the client sees a timeout (by call number). */
function timeoutsAfterWrite(client: DynamoDBClient, calls: ReadonlySet<number>): DynamoDBClient {
  let putItems = 0;
  const stack = client.middlewareStack as unknown as {
    add(middleware: unknown, options: { step: string; name: string; priority?: string }): void;
  };
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: Record<string, unknown>) =>
      async (args: unknown) => {
        if (context.commandName !== 'PutItemCommand') return next(args);
        const result = await next(args);
        if (!calls.has(++putItems)) return result;
        throw Object.assign(new Error('the write went through, the answer did not'), {
          name: 'TimeoutError',
          $fault: 'client',
          $metadata: {},
        });
      },
    { step: 'finalizeRequest', name: 'testTimeoutAfterWrite', priority: 'low' },
  );
  return client;
}

function event(id: string, type: string, atMs: number, detail: Record<string, unknown>): BusEvent {
  return {
    version: '0',
    id,
    source: 'shop.test',
    account: DEFAULT_ACCOUNT,
    region: DEFAULT_REGION,
    resources: [],
    'detail-type': type,
    time: new Date(atMs).toISOString(),
    detail,
  } as unknown as BusEvent;
}

let stack: EmbeddedStack;
let recorder: RunRecorder;

beforeAll(async () => {
  recorder = new RunRecorder(DEFAULT_PACK);
  stack = await EmbeddedStack.start({
    pack: DEFAULT_PACK,
    startMs: START_MS,
    recorder,
    prefix: 'lt-stream-test',
    // The second customer write (the referral's) times out after it was written.
    wrapDynamoDb: (client) => timeoutsAfterWrite(client, new Set([2])),
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the embedded stack’s stream mapping', () => {
  it('relays a customer write whose client timed out after it was written, at once', async () => {
    await stack.putEvent(
      event('evt-reg', 'CustomerRegistered', START_MS, {
        customerId: 'c-1',
        registeredAt: new Date(START_MS).toISOString(),
        timeZone: 'Europe/Berlin',
        locale: 'en',
        contacts: { email: 'c-1@example.com' },
        consents: { email: true },
      }),
    );
    await stack.settle();
    await stack.advanceTo(START_MS + 60_000);
    await stack.putEvent(
      event('evt-ref', 'ActionCompleted', START_MS + 60_000, {
        customerId: 'c-1',
        action: 'referral',
        reference: 'c-2',
      }),
    );
    await stack.settle();
    // Nothing else is written: the record of the timed-out write must already be relayed.
    expect(recorder.bonuses.map((b) => b.entryId)).toContain('default#c-1#referral-reward#referral:c-2');
    expect(recorder.messages.map((m) => m.messageId)).toContain(
      'default#c-1#referral-reward#referral:c-2#email',
    );
  });

  it('keeps relaying the writes after it (the relay is not left a write behind)', async () => {
    for (const [n, reference] of ['c-3', 'c-4'].entries()) {
      const atMs = START_MS + (n + 2) * 60_000;
      await stack.advanceTo(atMs);
      await stack.putEvent(
        event(`evt-ref-${reference}`, 'ActionCompleted', atMs, {
          customerId: 'c-1',
          action: 'referral',
          reference,
        }),
      );
      await stack.settle();
      expect(recorder.bonuses.map((b) => b.entryId)).toContain(
        `default#c-1#referral-reward#referral:${reference}`,
      );
    }
  });
});
