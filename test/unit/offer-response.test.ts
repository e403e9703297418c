/**
 * The orders simulated customers place because of an offer (local/sim/offer-response.ts): the terms a
 * message sets, and baskets that meet them in the customer's currency, the same for the same seed.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../functions/domain/message.ts';
import { toCents } from '../../local/measure/feed.ts';
import { offerTermsOf, responseBasket } from '../../local/sim/offer-response.ts';
import { PRODUCTS_BY_SKU, priceIn } from '../../local/sim/shop-catalog.ts';
import type { CustomerTruth } from '../../local/sim/synthetic-shop.ts';

const TRUTH: CustomerTruth = {
  customerId: 'c000007',
  brand: 'default',
  archetype: 'regular',
  registeredAt: '2025-05-01T10:00:00Z',
  country: 'RU',
  currency: 'RUB',
  timeZone: 'Europe/Moscow',
  move: null,
  routine: [{ sku: 'SKU-COF-001', category: 'coffee', cadenceDays: 30, quantity: 2 }],
  dormantFrom: null,
  returnsAt: null,
  engagementHour: 9,
  openRate: 0.4,
  clickRate: 0.2,
  offerResponse: 0.05,
};

const MESSAGE: Message = {
  messageId: 'default#c000007#cross-sell#1#email',
  occurrenceKey: 'default#c000007#cross-sell#1',
  campaignId: 'cross-sell',
  trigger: 'cross-sell',
  customerId: 'c000007',
  brand: 'default',
  channel: 'email',
  to: 'c000007@example.com',
  locale: 'ru',
  template: 'cross-sell/ru',
  variables: {},
  content: { body: 'x' },
  sendAt: '2026-03-01T07:00:00.000Z',
  createdAt: '2026-03-01T07:00:00.000Z',
};

const OFFER = {
  code: 'PAIR10-1',
  expiresAt: '2026-03-15T07:00:00.000Z',
  discountPercent: 10,
  minBasket: 0,
  accrualPercent: null,
  pointsOnOrder: 0,
};

function totalCents(lines: { unitPrice: number; quantity: number }[]): number {
  return lines.reduce((sum, l) => sum + toCents(l.unitPrice) * l.quantity, 0);
}

describe('offerTermsOf', () => {
  it("takes the message's offer, else its best personal offer, else none", () => {
    expect(offerTermsOf({ ...MESSAGE, offer: { ...OFFER, category: 'shoes', minBasket: 1500 } })).toEqual({
      category: 'shoes',
      minBasket: 1500,
    });
    const offers = [
      { code: 'A', category: 'tea', accrualPercent: 10, minBasket: 300 },
      { code: 'B', category: 'any', accrualPercent: 5, minBasket: 900 },
    ];
    expect(offerTermsOf({ ...MESSAGE, offers })).toEqual({ category: 'tea', minBasket: 300 });
    expect(offerTermsOf({ ...MESSAGE, offers: [] })).toBeNull();
    expect(offerTermsOf(MESSAGE)).toBeNull();
  });
});

describe('responseBasket', () => {
  it.each([
    { category: 'shoes', minBasket: 0 },
    { category: 'coffee-filters', minBasket: 1500 },
    { category: 'phone-cases', minBasket: 25_000 },
  ])('buys in $category for at least $minBasket, in the customer currency', (terms) => {
    // Act
    const basket = responseBasket(TRUTH, terms, MESSAGE.sendAt, 42);

    // Assess
    expect(basket.currency).toBe('RUB');
    expect(basket.lines.length).toBeGreaterThan(0);
    for (const line of basket.lines) {
      expect(line.category).toBe(terms.category);
      const product = PRODUCTS_BY_SKU.get(line.sku);
      expect(product && priceIn(product, 'RUB')).toBe(line.unitPrice);
      expect(line.quantity).toBeGreaterThan(0);
    }
    expect(toCents(basket.total)).toBe(totalCents(basket.lines));
    expect(toCents(basket.total)).toBeGreaterThanOrEqual(toCents(terms.minBasket));
  });

  it('buys what the customer usually buys for a whole-basket offer', () => {
    const basket = responseBasket(TRUTH, { category: 'any', minBasket: 100 }, MESSAGE.sendAt, 42);
    expect(basket.lines[0]).toMatchObject({ sku: 'SKU-COF-001', category: 'coffee' });
    expect(basket.lines[0]?.quantity).toBeGreaterThanOrEqual(2);
  });

  it('is the same basket for the same customer, offer time and seed, another one otherwise', () => {
    const terms = { category: 'books', minBasket: 2000 };
    const once = responseBasket(TRUTH, terms, MESSAGE.sendAt, 42);
    expect(responseBasket(TRUTH, terms, MESSAGE.sendAt, 42)).toEqual(once);
    const others = [1, 2, 3, 4, 5].map((seed) => responseBasket(TRUTH, terms, MESSAGE.sendAt, seed));
    expect(others.some((b) => JSON.stringify(b) !== JSON.stringify(once))).toBe(true);
  });
});
