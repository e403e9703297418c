import type { StoredCustomer } from './customer-store.ts';

/** A customer item as the Scan read it: its state and stored due instant. */
export type ScannedCustomer = StoredCustomer;

export interface ScanPage {
  customers: ScannedCustomer[];
  /** Where the next page of this segment starts; null when the segment is done. */
  cursor: string | null;
}

/**
 * Reads every customer item, in parallel Scan segments (DynamoDB `Segment` / `TotalSegments`), page by
 * page: the maintenance sweep's input. Cursors are opaque strings (an encoded LastEvaluatedKey) so a
 * segment can continue in another invocation.
 */
export interface CustomerScanner {
  scan(segment: number, totalSegments: number, cursor: string | null, limit: number): Promise<ScanPage>;
}
