import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../lib/wiring.ts';
import { SimulatedClock } from '../../local/aws/clock.ts';
import type { ScheduleFiring } from '../../local/aws/scheduler.ts';
import { LocalScheduler, parseScheduleExpression, wiringExpression } from '../../local/aws/scheduler.ts';

const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);
const MIN = 60_000;
const iso = (f: ScheduleFiring) => f.scheduledTime;

describe('LocalScheduler', () => {
  it('rate(15 minutes) fires every 15 minutes from creation, across an hour', async () => {
    const clock = new SimulatedClock(T0 + 7 * MIN);
    const scheduler = new LocalScheduler(clock);
    const fired: ScheduleFiring[] = [];
    scheduler.create('rate', 'rate(15 minutes)', (f) => fired.push(f), { input: { a: 1 } });
    await clock.advanceBy(60 * MIN);
    expect(fired.map((f) => f.scheduledMs - T0)).toEqual([22, 37, 52, 67].map((m) => m * MIN));
    expect(fired[0]?.input).toEqual({ a: 1 });
  });

  it("dispatch's cron(1,16,31,46 * * * ? *) fires at those minutes across a day (96 times)", async () => {
    const dispatch = FUNCTIONS.dispatch.triggers.find((t) => t.kind === 'schedule');
    if (dispatch?.kind !== 'schedule') throw new Error('dispatch has a schedule');
    expect(wiringExpression(dispatch)).toBe('cron(1,16,31,46 * * * ? *)');
    const clock = new SimulatedClock(T0);
    const scheduler = new LocalScheduler(clock);
    const fired: ScheduleFiring[] = [];
    const nowAtFire: number[] = [];
    scheduler.create('dispatch', wiringExpression(dispatch), (f) => {
      fired.push(f);
      nowAtFire.push(clock.now());
    });
    await clock.advanceBy(60 * MIN);
    expect(fired.map(iso)).toEqual([
      '2024-01-01T00:01:00.000Z',
      '2024-01-01T00:16:00.000Z',
      '2024-01-01T00:31:00.000Z',
      '2024-01-01T00:46:00.000Z',
    ]);
    await clock.advanceTo(T0 + 24 * 60 * MIN);
    expect(fired).toHaveLength(96);
    expect(nowAtFire).toEqual(fired.map((f) => f.scheduledMs));
    expect(fired.at(-1)?.scheduledTime).toBe('2024-01-01T23:46:00.000Z');
  });

  it("maintenance's cron(0 3 * * ? *) fires once a day at 03:00 UTC", async () => {
    const clock = new SimulatedClock(T0 + 5 * 60 * MIN);
    const scheduler = new LocalScheduler(clock);
    const fired: string[] = [];
    const handle = scheduler.create('sweep', 'cron(0 3 * * ? *)', (f) => fired.push(iso(f)));
    expect(handle.nextFireMs()).toBe(Date.UTC(2024, 0, 2, 3));
    await clock.advanceTo(Date.UTC(2024, 0, 4, 12));
    expect(fired).toEqual([
      '2024-01-02T03:00:00.000Z',
      '2024-01-03T03:00:00.000Z',
      '2024-01-04T03:00:00.000Z',
    ]);
    handle.delete();
    await clock.advanceBy(3 * 86_400_000);
    expect(fired).toHaveLength(3);
  });

  it('keeps firing after a target throws', async () => {
    const clock = new SimulatedClock(T0);
    const scheduler = new LocalScheduler(clock);
    let calls = 0;
    scheduler.create('flaky', 'rate(1 minute)', () => {
      calls++;
      if (calls === 1) throw new Error('boom');
    });
    await expect(clock.advanceBy(MIN)).rejects.toThrow('boom');
    await clock.advanceBy(2 * MIN);
    expect(calls).toBe(3);
  });

  it('parses the supported forms and refuses the rest', () => {
    expect(parseScheduleExpression('rate(1 hour)')).toEqual({ kind: 'rate', periodMs: 3_600_000 });
    expect(parseScheduleExpression('cron(*/20 1-2 * * ? *)')).toMatchObject({
      minutes: [0, 20, 40],
      hours: [1, 2],
    });
    expect(() => parseScheduleExpression('rate(2 minute)')).toThrow();
    expect(() => parseScheduleExpression('cron(0 3 1 * ? *)')).toThrow();
    expect(() => parseScheduleExpression('cron(0 3 * * * *)')).toThrow();
    expect(() => parseScheduleExpression('cron(60 3 * * ? *)')).toThrow();
    expect(() => parseScheduleExpression('at(2024-01-01T00:00:00)')).toThrow();
  });
});
