/**
 * Reader for the UCI "Online Retail II" transactions (see /work/shared/data/online-retail-ii/README.md).
 *
 * Data: UCI Machine Learning Repository #502 Online Retail II, Daqing Chen, Sai Liang Sain and Kun Guo (2012),
 * doi:10.24432/C5CG6D, CC BY 4.0.
 *
 * Columns: invoice, stock_code, description, quantity, invoice_ts, unit_price, customer_id, country.
 * Descriptions may be quoted and contain commas and doubled quotes; no field spans lines.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

/**
 * Splits one RFC 4180 CSV line into fields: a field may be wrapped in double quotes, inside which commas
 * are literal and `""` stands for one `"`. Unquoted fields are taken verbatim (no trimming).
 */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let start = i + 1;
      i = start;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          // Unterminated quote: take the rest of the line as the field.
          value += line.slice(start);
          i = n;
          break;
        }
        if (line.charCodeAt(q + 1) === 34) {
          value += `${line.slice(start, q)}"`;
          i = q + 2;
          start = i;
          continue;
        }
        value += line.slice(start, q);
        i = q + 1;
        break;
      }
      // Anything between the closing quote and the next comma is kept (lenient).
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        fields.push(value + line.slice(i));
        return fields;
      }
      fields.push(value + line.slice(i, comma));
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** One cleaned purchase: a known customer bought a product on a (UK local) calendar day. */
export interface RetailPurchase {
  customerId: string;
  sku: string;
  /** 'YYYY-MM-DD', the date part of invoice_ts. */
  day: string;
}

/**
 * Product codes kept: 5 digits, optionally followed by a letter suffix (colour/size variants such as 85123A
 * "WHITE HANGING HEART T-LIGHT HOLDER" — the best seller — 79323W or 15056BL). A variant is its own
 * product (a customer re-buying the white lights is not re-buying the pink ones). The suffix is
 * upper-cased (the source spells a few in lower case; no code clashes with its upper-case twin). Non-product
 * codes (POST, M, DOT, BANK CHARGES, gift vouchers, …) are dropped. With the other cleaning rules this
 * yields the README's 759,501 purchases in 480,971 (customer, product) pairs; digits-only codes would drop
 * 11% of the purchases, among them the most re-bought products.
 */
export const PRODUCT_CODE = /^\d{5}[A-Za-z]*$/;

/** Cleaning rules of the README applied to one parsed row; returns null when the row is not a purchase. */
export function toPurchase(fields: readonly string[]): RetailPurchase | null {
  const [invoice, stockCode, , quantity, invoiceTs, unitPrice, customerId] = fields;
  if (
    invoice === undefined ||
    stockCode === undefined ||
    quantity === undefined ||
    invoiceTs === undefined ||
    unitPrice === undefined ||
    customerId === undefined
  ) {
    return null;
  }
  const customer = customerId.trim();
  if (customer === '') return null;
  if (invoice.startsWith('C') || invoice.startsWith('c')) return null;
  if (!(Number(quantity) > 0) || !(Number(unitPrice) > 0)) return null;
  const code = stockCode.trim();
  if (!PRODUCT_CODE.test(code)) return null;
  const day = invoiceTs.slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  return { customerId: customer.replace(/\.0$/, ''), sku: code.toUpperCase(), day };
}

/**
 * Streams the cleaned purchases of a gzipped Online Retail II CSV, one per (customer, product, day)
 * (later duplicates of the same triple are skipped), in file order (which is chronological).
 */
export async function* readRetailPurchases(path: string): AsyncGenerator<RetailPurchase> {
  const seen = new Set<string>();
  const lines = createInterface({
    input: createReadStream(path).pipe(createGunzip()),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let header = true;
  for await (const line of lines) {
    if (header) {
      header = false;
      continue;
    }
    if (line === '') continue;
    const purchase = toPurchase(parseCsvLine(line));
    if (purchase === null) continue;
    const key = `${purchase.customerId}|${purchase.sku}|${purchase.day}`;
    if (seen.has(key)) continue;
    seen.add(key);
    yield purchase;
  }
}
