/**
 * The campaign file (and optional replenishment model) shipped with the functions, validated at synth:
 * a bad file fails `cdk synth` with the CampaignFileError naming file, line, campaign and field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCampaignPack } from '../../functions/domain/campaign-pack.ts';
import { parseReplenishmentModel } from '../../functions/shared/engine-context.ts';

export const DEFAULT_CAMPAIGNS_PATH = 'campaigns/default.yaml';

export interface BundledFiles {
  /** Absolute path of the validated campaign file. */
  readonly campaignsFile: string;
  /** Absolute path of the validated replenishment model, when one is configured. */
  readonly modelFile?: string;
  readonly campaignCount: number;
}

export class CampaignsFileNotFoundError extends Error {
  constructor(readonly file: string) {
    super(`campaign file ${file} does not exist (context "campaigns")`);
    this.name = 'CampaignsFileNotFoundError';
  }
}

/** Reads and validates the files named by the `campaigns` and `replenishmentModel` context values. */
export function loadBundledFiles(
  campaigns: unknown,
  replenishmentModel: unknown,
  cwd: string = process.cwd(),
): BundledFiles {
  const campaignsFile = resolve(cwd, typeof campaigns === 'string' ? campaigns : DEFAULT_CAMPAIGNS_PATH);
  if (!existsSync(campaignsFile)) throw new CampaignsFileNotFoundError(campaignsFile);
  const pack = parseCampaignPack(readFileSync(campaignsFile, 'utf8'), campaignsFile);
  if (typeof replenishmentModel !== 'string') return { campaignsFile, campaignCount: pack.campaigns.length };
  const modelFile = resolve(cwd, replenishmentModel);
  parseReplenishmentModel(readFileSync(modelFile, 'utf8'), modelFile);
  return { campaignsFile, modelFile, campaignCount: pack.campaigns.length };
}
