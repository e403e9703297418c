import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../local/aws/clock.ts';

describe('SimulatedClock', () => {
  it('fires timers in time order, ties in set order, with now() at each timer instant', async () => {
    const clock = new SimulatedClock(1000);
    const seen: string[] = [];
    clock.at(3000, () => seen.push(`c@${clock.now()}`));
    clock.at(2000, () => seen.push(`a@${clock.now()}`));
    clock.at(2000, () => seen.push(`b@${clock.now()}`));
    clock.at(9000, () => seen.push('late'));
    expect(await clock.advanceTo(5000)).toBe(3);
    expect(seen).toEqual(['a@2000', 'b@2000', 'c@3000']);
    expect(clock.now()).toBe(5000);
    expect(clock.nextTimerAt()).toBe(9000);
  });

  it('fires timers set by a timer within the same advance, awaits async ones, skips cancelled', async () => {
    const clock = new SimulatedClock(0);
    const seen: number[] = [];
    clock.at(10, async () => {
      await Promise.resolve();
      seen.push(10);
      clock.at(15, () => seen.push(15));
      clock.at(50, () => seen.push(50));
    });
    clock.at(12, () => seen.push(12)).cancel();
    await clock.advanceBy(20);
    expect(seen).toEqual([10, 15]);
    expect(clock.pendingTimers()).toBe(1);
    await clock.advanceBy(30);
    expect(seen).toEqual([10, 15, 50]);
  });

  it('refuses to move back', async () => {
    const clock = new SimulatedClock(100);
    await expect(clock.advanceTo(99)).rejects.toThrow(/back/);
  });

  it('property: any timers fire sorted by (time, set order), once each', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 50 }), async (times) => {
        const clock = new SimulatedClock(0);
        const fired: [number, number][] = [];
        times.forEach((t, i) => {
          clock.at(t, () => fired.push([t, i]));
        });
        await clock.advanceTo(500);
        await clock.advanceTo(1000);
        const expected = times
          .map((t, i) => [t, i] as [number, number])
          .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(fired).toEqual(expected);
      }),
    );
  });
});
