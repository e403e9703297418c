/**
 * A small seeded chaos run (local/chaos): a synthetic shop through the embedded stack with every event
 * delivered twice, invalid events mixed in, DynamoDB faults and function crashes at 5%, and the SQS
 * consumers running concurrently — compared with the oracle (the same shop once, in order, without
 * faults). Every violation count is zero; the faults really happened.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { VIOLATIONS } from '../../local/chaos/command.ts';
import type { ChaosReport } from '../../local/chaos/run.ts';
import { runChaos } from '../../local/chaos/run.ts';
import { DEFAULT_PACK } from '../unit/fixtures.ts';

let report: ChaosReport;

beforeAll(async () => {
  report = await runChaos({ events: 200, seed: 3, faultRate: 0.05, days: 5, pack: DEFAULT_PACK });
}, 600_000);

describe('the chaos run', () => {
  it('injects every kind of fault and delivers every event at least twice', () => {
    expect(report.events).toBeGreaterThan(100);
    expect(report.deliveries).toBeGreaterThanOrEqual(report.events + report.injectedInvalid);
    expect(report.faultsByKind.throttle).toBeGreaterThan(0);
    expect(report.faultsByKind['timeout-after-write']).toBeGreaterThan(0);
    expect(report.faultsByKind['crash-mid-batch'] + report.faultsByKind['crash-after-relay']).toBeGreaterThan(
      0,
    );
    expect(report.faultsByKind['crash-after-stats']).toBeGreaterThan(0);
    expect(report.statsItems).toBeGreaterThan(0);
    expect(report.messages).toBeGreaterThan(0);
    expect(report.bonuses).toBeGreaterThan(0);
  });

  it('gives no bonus twice, misses none, and sends no message twice, without consent or in quiet hours', () => {
    const violations = Object.fromEntries(VIOLATIONS.map((k) => [k, report[k]]));
    expect(violations).toEqual(Object.fromEntries(VIOLATIONS.map((k) => [k, 0])));
  });
});
