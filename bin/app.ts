/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy --all [-c stage=prod] [-c campaigns=path]`.
 * Synth needs no AWS credentials: the stacks are environment-agnostic unless the CLI resolves one.
 */
import { App } from 'aws-cdk-lib';
import { buildEngine } from '../lib/app.ts';

buildEngine(new App());
