/** A binary min-heap under a strict `less` order. */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (!this.less(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    const n = items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      let best: T = last;
      if (l < n && this.less(items[l] as T, best)) {
        smallest = l;
        best = items[l] as T;
      }
      if (r < n && this.less(items[r] as T, best)) {
        smallest = r;
        best = items[r] as T;
      }
      if (smallest === i) break;
      items[i] = best;
      i = smallest;
    }
    items[i] = last;
    return top;
  }
}
