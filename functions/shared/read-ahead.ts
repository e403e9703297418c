/**
 * A batch consumer's read of its customers in one request, ahead of their steps (see `Prefetched`).
 * When that read fails, the batch goes on reading one customer at a time; the failure is logged (error
 * name and message only).
 */
import type { CustomerRef, CustomerStore } from '../ports/customer-store.ts';
import { Prefetched } from '../use-cases/customer-use-cases.ts';
import { errorFields, logger } from './powertools.ts';

export async function readAhead(
  store: CustomerStore,
  refs: readonly CustomerRef[],
  options: { consistent?: boolean } = {},
): Promise<Prefetched> {
  const { prefetched, error } = await Prefetched.of(store, refs, options);
  if (error !== undefined) logger.warn('batch read failed: customers read one by one', errorFields(error));
  return prefetched;
}
