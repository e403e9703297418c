/**
 * The order a simulated customer places because of an offer (`responseToOffer` says whether and when):
 * a plausible basket in the customer's currency that meets the offer's terms — its product group when
 * it names one the shop sells, and its minimum basket — so the engine and the measurement see it
 * redeem the offer.
 *
 * Pure: the basket follows from (customer, offer time, seed) through a hash, like every other reaction
 * of the simulated customers, so a run stays reproducible whatever order messages are relayed in.
 */
import type { Message } from '../../functions/domain/message.ts';
import { hash32, Rng, seed32 } from './random.ts';
import type { Currency, Product } from './shop-catalog.ts';
import { BASKET_WEIGHTS, CATALOG, PRODUCTS_BY_CATEGORY, PRODUCTS_BY_SKU, priceIn } from './shop-catalog.ts';
import type { CustomerTruth } from './shop-model.ts';
import type { Line } from './shop-orders.ts';

/** What a response order has to meet: a product group (null or unknown: anything) and a minimum total. */
export interface OfferTerms {
  category: string | null;
  minBasket: number;
}

/** Items of one line at most: enough to reach any minimum basket the engine computes from real orders. */
const MAX_QUANTITY = 999;

/**
 * The terms a message's offer sets: its own offer, or the best of its personal offers (they come best
 * first); null when the message carries no offer.
 */
export function offerTermsOf(message: Message): OfferTerms | null {
  if (message.offer !== undefined)
    return { category: message.offer.category, minBasket: message.offer.minBasket };
  const best = message.offers?.[0];
  return best === undefined ? null : { category: best.category, minBasket: best.minBasket };
}

function categoryFor(truth: CustomerTruth, terms: OfferTerms, rng: Rng): readonly Product[] {
  const named = terms.category === null ? undefined : PRODUCTS_BY_CATEGORY.get(terms.category);
  if (named !== undefined && named.length > 0) return named;
  // A whole-basket offer (or a group the shop does not sell): what the customer usually buys.
  const routine = truth.routine.length > 0 ? rng.pick(truth.routine) : undefined;
  const usual = routine === undefined ? undefined : PRODUCTS_BY_CATEGORY.get(routine.category);
  if (usual !== undefined && usual.length > 0) return usual;
  return PRODUCTS_BY_CATEGORY.get(rng.weighted(BASKET_WEIGHTS)) ?? CATALOG;
}

/**
 * A few items of the offer's group (the customer's routine product first, when it is in the group,
 * plus up to two others), then more of the first item until the total reaches the minimum basket. Amounts are summed
 * in minor units, so the total meets the threshold exactly as the engine compares it.
 */
export function responseBasket(
  truth: CustomerTruth,
  terms: OfferTerms,
  offerAt: string,
  seed: number,
): { currency: Currency; total: number; lines: Line[] } {
  const rng = new Rng(hash32(`${truth.customerId}|${offerAt}|basket`, seed32(seed)));
  const products = categoryFor(truth, terms, rng);
  const currency = truth.currency;
  const lines: Line[] = [];
  const add = (product: Product, quantity: number) => {
    const same = lines.find((l) => l.sku === product.sku);
    if (same !== undefined) same.quantity += quantity;
    else
      lines.push({
        sku: product.sku,
        category: product.category,
        quantity,
        unitPrice: priceIn(product, currency),
      });
  };
  const routine = truth.routine.find((r) => products.some((p) => p.sku === r.sku));
  const usual = routine === undefined ? undefined : PRODUCTS_BY_SKU.get(routine.sku);
  if (usual !== undefined && routine !== undefined) add(usual, routine.quantity);
  for (let n = rng.int(usual === undefined ? 1 : 0, 2); n > 0; n--) add(rng.pick(products), 1);
  const cents = (l: Line) => Math.round(l.unitPrice * 100) * l.quantity;
  const minCents = Math.round(terms.minBasket * 100);
  let total = lines.reduce((sum, l) => sum + cents(l), 0);
  const first = lines[0];
  if (first !== undefined && total < minCents) {
    const unit = Math.round(first.unitPrice * 100);
    const more = Math.min(MAX_QUANTITY - first.quantity, Math.ceil((minCents - total) / unit));
    if (more > 0) {
      first.quantity += more;
      total += more * unit;
    }
  }
  return { currency, total: total / 100, lines };
}
