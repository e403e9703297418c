/**
 * The replenishment model a run refits as it goes: every purchase seen is kept, and every
 * `everyDays` (30) simulated days a new model is fitted from them — what ops do with the history
 * they have before a deploy. Shared by both runtimes.
 */
import type { DomainEvent } from '../functions/domain/events.ts';
import type { Purchase, ReplenishmentModel } from '../functions/domain/replenishment.ts';
import { fitReplenishmentModel } from '../functions/domain/replenishment.ts';
import { MS_PER_DAY } from '../functions/domain/time.ts';

export class ModelRefits {
  private readonly purchases: Purchase[] = [];
  private readonly everyMs: number;
  /** The instant of the next refit. */
  nextAt: number;

  constructor(startMs: number, everyDays = 30) {
    this.everyMs = everyDays * MS_PER_DAY;
    this.nextAt = startMs + this.everyMs;
  }

  observe(event: DomainEvent): void {
    if (event.type !== 'OrderPlaced') return;
    const day = event.at.slice(0, 10);
    for (const l of event.detail.lines)
      this.purchases.push({ customerId: event.customerId, sku: l.sku, day });
  }

  /** Fits a model from every purchase seen so far and schedules the next refit. */
  fit(): ReplenishmentModel {
    this.nextAt += this.everyMs;
    return fitReplenishmentModel(this.purchases);
  }
}
