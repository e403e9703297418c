/**
 * Builds the engine's stacks on an App: reads the stage and the campaign file from the context,
 * validates the campaign file (a bad file fails synth naming the field), and registers cdk-nag's
 * AwsSolutions checks. bin/app.ts and the infra tests both build through here.
 */
import type { App } from 'aws-cdk-lib';
import { Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { BundledFiles } from './config/campaigns.ts';
import { loadBundledFiles } from './config/campaigns.ts';
import type { Stage } from './config/stages.ts';
import { parseStage, STAGE_CONFIG } from './config/stages.ts';
import { acknowledgeNagFindings } from './nag.ts';
import { StatefulStack } from './stacks/stateful-stack.ts';
import { StatelessStack } from './stacks/stateless-stack.ts';

export interface Engine {
  readonly stage: Stage;
  readonly files: BundledFiles;
  readonly data: StatefulStack;
  readonly service: StatelessStack;
}

export interface BuildOptions {
  /** Register cdk-nag's AwsSolutions pack (default true). */
  readonly nag?: boolean;
}

export function buildEngine(app: App, options: BuildOptions = {}): Engine {
  const stage = parseStage(app.node.tryGetContext('stage'));
  const config = STAGE_CONFIG[stage];
  const files = loadBundledFiles(
    app.node.tryGetContext('campaigns'),
    app.node.tryGetContext('replenishmentModel'),
  );
  // Env-agnostic unless the CLI knows the account (nothing here needs lookups): synth works offline.
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const env = account !== undefined && region !== undefined ? { env: { account, region } } : {};
  const prefix = `LoyaltyTriggers-${stage}`;

  const data = new StatefulStack(app, `${prefix}-Data`, {
    ...env,
    stage,
    config,
    description: 'loyalty-triggers: tables, event bus, queues',
    terminationProtection: config.deletionProtection,
  });
  const service = new StatelessStack(app, `${prefix}-Engine`, {
    ...env,
    stage,
    config,
    files,
    data,
    description: 'loyalty-triggers: functions, triggers, schedules, alarms, dashboard',
  });
  Tags.of(app).add('app', 'loyalty-triggers');
  Tags.of(app).add('stage', stage);

  acknowledgeNagFindings({ data, service });
  if (options.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stage, files, data, service };
}
