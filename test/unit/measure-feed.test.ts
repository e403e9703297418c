import { describe, expect, it } from 'vitest';
import type { Message } from '../../functions/domain/message.ts';
import { CampaignMeasurement } from '../../local/measure/attribution.ts';
import { feedLedger, feedMessage, toCents, treatmentOf } from '../../local/measure/feed.ts';

const MESSAGE: Message = {
  messageId: 'default#c1#winback#2025-03#email',
  occurrenceKey: 'default#c1#winback#2025-03',
  campaignId: 'winback',
  trigger: 'dormancy',
  customerId: 'c1',
  brand: 'default',
  channel: 'email',
  to: 'c1@example.com',
  locale: 'en',
  template: 'winback/en',
  variables: {},
  content: { body: 'We miss you' },
  sendAt: '2025-03-01T10:00:00.000Z',
  createdAt: '2025-03-01T09:00:00.000Z',
};

describe('treatmentOf', () => {
  it('opens the touch at sendAt and takes the offer in minor units', () => {
    // Prepare
    const message: Message = {
      ...MESSAGE,
      offer: {
        code: 'WB12345678',
        expiresAt: '2025-03-08T10:00:00.000Z',
        discountPercent: null,
        minBasket: 19.99,
        accrualPercent: null,
        category: null,
        pointsOnOrder: 300,
      },
    };

    // Act
    const t = treatmentOf(message);

    // Assess
    expect(t).toEqual({
      campaignId: 'winback',
      customerId: 'c1',
      at: '2025-03-01T10:00:00.000Z',
      channel: 'email',
      occurrenceKey: 'default#c1#winback#2025-03',
      offer: { minBasketCents: 1999, expiresAt: '2025-03-08T10:00:00.000Z' },
    });
  });

  it('treats a list of personal offers as one offer at the lowest minimum basket, valid for the window', () => {
    const message: Message = {
      ...MESSAGE,
      offers: [
        { code: 'A', category: 'tea', accrualPercent: 10, minBasket: 30 },
        { code: 'B', category: 'cups', accrualPercent: 5, minBasket: 12.5 },
      ],
    };
    expect(treatmentOf(message).offer).toEqual({ minBasketCents: 1250, expiresAt: null });
    expect(treatmentOf(MESSAGE).offer).toBeNull();
  });

  it('rounds amounts to whole cents', () => {
    expect(toCents(0.1 + 0.2)).toBe(30);
  });
});

describe('feed helpers', () => {
  it('feed messages as treatments and campaign ledger entries as points', () => {
    // Prepare
    const m = new CampaignMeasurement([{ id: 'winback', trigger: { type: 'dormancy' } }]);
    const entry = {
      entryId: 'e',
      customerId: 'c1',
      brand: 'default',
      points: 300,
      reason: 'bonus' as const,
      at: MESSAGE.sendAt,
      expiresAt: null,
    };

    // Act
    feedMessage(m, MESSAGE);
    feedMessage(m, { ...MESSAGE, channel: 'push', messageId: 'x#push' });
    feedLedger(m, { ...entry, campaignId: 'winback' });
    feedLedger(m, { ...entry, campaignId: null, points: 50, reason: 'accrual' });

    // Assess
    const row = m.results().campaigns[0];
    expect(row?.counts.treated.members).toBe(1);
    expect(row?.counts.sent).toEqual({ email: 1, sms: 0, push: 1 });
    expect(row?.counts.points).toBe(300);
  });
});
