/**
 * Bounded concurrency: runs `work` on every item, at most `limit` at once. Each of the `limit` workers
 * takes the next item when its last one is done, so items start in order. Rejects with the first
 * failure, as `Promise.all` does (the other workers' items already started run to their end); a
 * caller that wants every item tried catches inside `work`. With `more`, no item is started once it
 * returns false (those started run to their end): a caller that needs only so much stops early.
 */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
  more: () => boolean = () => true,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && more()) {
      const i = next++;
      await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(0, Math.min(limit, items.length)) }, worker));
}
