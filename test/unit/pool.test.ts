/** forEachLimit (functions/shared/pool.ts): every item once, at most `limit` at once, in order. */
import { describe, expect, it } from 'vitest';
import { forEachLimit } from '../../functions/shared/pool.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('forEachLimit', () => {
  it('works every item once, with its index, never more than the limit at once, starting them in order', async () => {
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    const seen: [string, number][] = [];
    const items = Array.from({ length: 23 }, (_, i) => `item-${i}`);
    await forEachLimit(items, 4, async (item, i) => {
      started.push(i);
      inFlight++;
      most = Math.max(most, inFlight);
      await tick();
      inFlight--;
      seen.push([item, i]);
    });
    expect(most).toBe(4);
    expect(started).toEqual(items.map((_, i) => i));
    expect(seen.toSorted((a, b) => a[1] - b[1])).toEqual(items.map((item, i) => [item, i]));
  });

  it('does nothing for no items, and runs one at a time with a limit of 1', async () => {
    let calls = 0;
    await forEachLimit([], 8, async () => {
      calls++;
    });
    expect(calls).toBe(0);
    const order: number[] = [];
    await forEachLimit([1, 2, 3], 1, async (n) => {
      await tick();
      order.push(n);
    });
    expect(order).toEqual([1, 2, 3]);
  });

  it('rejects with the first failure', async () => {
    const run = forEachLimit([1, 2, 3], 2, async (n) => {
      if (n === 2) throw new Error('item 2 failed');
    });
    await expect(run).rejects.toThrow('item 2 failed');
  });

  it('starts no item once `more` says no, letting those started finish', async () => {
    // Prepare: each item adds 3; enough is 10
    let total = 0;
    const started: number[] = [];
    // Act
    await forEachLimit(
      Array.from({ length: 20 }, (_, i) => i),
      2,
      async (n) => {
        started.push(n);
        await tick();
        total += 3;
      },
      () => total < 10,
    );
    // Assess: two at a time, each next one started while the total was under 10 (0, 0, 3, 6, 9): five
    // started, every one of them finished, none after
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(total).toBe(15);
  });
});
