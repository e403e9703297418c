import { describe, expect, it } from 'vitest';
import { CampaignMeasurement } from '../../local/measure/attribution.ts';
import {
  formatDelta,
  formatMeasurement,
  formatMoney,
  formatPercent,
  formatUplift,
} from '../../local/measure/format.ts';

describe('measurement cells', () => {
  it.each([
    { uplift: { estimate: 0.031, low: 0.012, high: 0.05 }, text: '+3.1 pp [1.2, 5.0]' },
    { uplift: { estimate: -0.02, low: -0.045, high: 0.004 }, text: '-2.0 pp [-4.5, 0.4]' },
    { uplift: { estimate: -0.00001, low: -0.01, high: 0.01 }, text: '+0.0 pp [-1.0, 1.0]' },
    { uplift: null, text: '-' },
  ])('writes the uplift $text', ({ uplift, text }) => {
    expect(formatUplift(uplift)).toBe(text);
  });

  it('writes differences of means, money and rates, with "-" for what cannot be computed', () => {
    expect(formatDelta({ estimate: 0.0812, low: 0.07, high: 0.0923 })).toBe('+0.081 [0.070, 0.092]');
    expect(formatDelta(null)).toBe('-');
    expect(formatMoney(123456)).toBe('1234.56');
    expect(formatMoney(null)).toBe('-');
    expect(formatPercent(0.1234)).toBe('12.3%');
    expect(formatPercent(null)).toBe('-');
  });
});

describe('formatMeasurement', () => {
  it('lists every campaign, then personalised and generic, then the total, in both tables', () => {
    // Prepare
    const m = new CampaignMeasurement([
      { id: 'birthday', trigger: { type: 'birthday' } },
      { id: 'refill', trigger: { type: 'replenishment' } },
    ]);
    m.treated({ campaignId: 'refill', customerId: 'a', at: 0, channel: 'sms', occurrenceKey: 'k' });
    m.control({ campaignId: 'refill', customerId: 'b', at: 0, global: false });
    m.order({ customerId: 'a', orderId: 'o', at: 1000, totalCents: 4250 });

    // Act
    const lines = formatMeasurement(m.results()).split('\n');

    // Assess
    const labels = lines.map((l) => l.split(/\s+/)[0]);
    expect(labels.filter((l) => l === 'birthday')).toHaveLength(2);
    expect(labels.filter((l) => l === 'PERSONALISED')).toHaveLength(2);
    expect(labels.filter((l) => l === 'GENERIC')).toHaveLength(2);
    expect(labels.filter((l) => l === 'TOTAL')).toHaveLength(2);
    const refill = lines.filter((l) => l.startsWith('refill '));
    expect(refill[1]).toContain('100.0%');
    expect(refill[1]).toContain('+100.0 pp [');
    expect(refill[1]).toContain('42.50');
  });
});
