/**
 * Loads what every evaluation needs besides the customer — the campaign pack and the replenishment
 * model — once per container. Both are files bundled with the function: the campaign file is
 * configuration reviewed like code, and the model is a JSON object the maintenance fit writes (absent
 * until the first fit: replenishment campaigns then simply never fire).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCampaignPack } from '../domain/campaign-pack.ts';
import type { EngineContext } from '../domain/engine.ts';
import type { ReplenishmentModel } from '../domain/replenishment.ts';
import { ENV, optionalEnv } from './env.ts';

export class ReplenishmentModelError extends Error {
  constructor(
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`replenishment model ${file}: ${problem}`, options);
    this.name = 'ReplenishmentModelError';
  }
}

/** The default pack next to the sources; a bundled function sets CAMPAIGNS_FILE to its copy. */
export const DEFAULT_CAMPAIGNS_FILE = fileURLToPath(new URL('../../campaigns/default.yaml', import.meta.url));

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the campaign file and the optional model; throws naming the file at fault. */
export function loadEngineContext(env: Env = process.env): EngineContext {
  const campaignsFile = resolve(optionalEnv(ENV.campaignsFile, env) ?? DEFAULT_CAMPAIGNS_FILE);
  const pack = parseCampaignPack(readFileSync(campaignsFile, 'utf8'), campaignsFile);
  const modelFile = optionalEnv(ENV.replenishmentModelFile, env);
  return { pack, model: modelFile === undefined ? null : loadModel(resolve(modelFile)) };
}

/** Parses a model file with a shape check: a truncated or foreign file fails the cold start, not a sweep. */
export function parseReplenishmentModel(text: string, file: string): ReplenishmentModel {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ReplenishmentModelError(file, 'is not valid JSON', { cause: error });
  }
  if (!isObject(raw) || !isObject(raw.skus) || !isObject(raw.global) || !isObject(raw.params)) {
    throw new ReplenishmentModelError(file, 'must be an object with skus, global and params');
  }
  if (!Array.isArray(raw.global.season) || raw.global.season.length !== 12) {
    throw new ReplenishmentModelError(file, 'global.season must list 12 monthly factors');
  }
  // Written by fitReplenishmentModel and checked above for the parts every prediction reads.
  return raw as unknown as ReplenishmentModel;
}

function loadModel(file: string): ReplenishmentModel {
  return parseReplenishmentModel(readFileSync(file, 'utf8'), file);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
