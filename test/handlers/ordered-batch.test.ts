import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { KeyedRunner, processBatchInOrder } from '../../functions/shared/ordered-batch.ts';
import { stubContext } from './support.ts';

/** A task that waits until released, noting when it starts and ends. */
function gate(log: string[], name: string) {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    open: () => open(),
    task: async () => {
      log.push(`start ${name}`);
      await opened;
      log.push(`end ${name}`);
      return name;
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedRunner', () => {
  it('runs the tasks of one key in submission order, one at a time', async () => {
    // Prepare
    const log: string[] = [];
    const runner = new KeyedRunner(10);
    const a1 = gate(log, 'a1');
    const a2 = gate(log, 'a2');
    const b1 = gate(log, 'b1');

    // Act
    const results = [runner.run('a', a1.task), runner.run('a', a2.task), runner.run('b', b1.task)];
    await tick();
    const startedFirst = [...log];
    a2.open();
    b1.open();
    a1.open();

    // Assess
    expect(await Promise.all(results)).toEqual(['a1', 'a2', 'b1']);
    expect(startedFirst).toEqual(['start a1', 'start b1']);
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
  });

  it('runs the next task of a key after a failed one', async () => {
    // Prepare
    const runner = new KeyedRunner(2);

    // Act
    const failed = runner.run('a', () => Promise.reject(new Error('boom')));
    const next = runner.run('a', async () => 'ok');

    // Assess
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });

  it('never runs more than the limit at once', async () => {
    // Prepare
    const runner = new KeyedRunner(3);
    let active = 0;
    let peak = 0;
    const task = async () => {
      active++;
      peak = Math.max(peak, active);
      await tick();
      active--;
    };

    // Act
    await Promise.all(Array.from({ length: 20 }, (_, i) => runner.run(`k${i % 7}`, task)));

    // Assess
    expect(peak).toBe(3);
    expect(active).toBe(0);
  });
});

describe('processBatchInOrder', () => {
  const record = (messageId: string) => ({ messageId, body: messageId }) as SQSRecord;

  it('reports failed records in batch order, whatever order they failed in, and never throws', async () => {
    // Prepare: the first record fails last.
    const records = ['m1', 'm2', 'm3'].map(record);

    // Act
    const response = await processBatchInOrder(records, 'sqs', {
      context: stubContext(),
      idOf: (r) => r.messageId,
      keyOf: (r) => r.messageId,
      limit: 3,
      work: async (r) => {
        if (r.messageId === 'm1') await tick();
        throw new Error(`${r.messageId} failed`);
      },
    });

    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m1', 'm2', 'm3']);
  });
});
