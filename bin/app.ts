/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy --all [-c stage=prod] [-c campaigns=path]`.
 * Synth needs no AWS credentials: the stacks are environment-agnostic unless the CLI resolves one.
 * A bad campaign file fails synth with its problems (file:line:col, campaign, field), not a stack trace.
 */
import { App } from 'aws-cdk-lib';
import { CampaignFileError } from '../functions/domain/campaign-pack.ts';
import { buildEngine } from '../lib/app.ts';

try {
  buildEngine(new App());
} catch (error) {
  if (!(error instanceof CampaignFileError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
