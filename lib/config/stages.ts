/**
 * Per-stage configuration, chosen with `-c stage=dev|prod` (default dev). Typed as a
 * `Record<Stage, Config>`: adding a stage without every setting fails the type check.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { FunctionId } from '../wiring.ts';

export type Stage = 'dev' | 'prod';
export const STAGES: readonly Stage[] = ['dev', 'prod'];

export interface Config {
  /** What happens to tables, queues, logs and the archive when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
  readonly pointInTimeRecovery: boolean;
  readonly logRetention: RetentionDays;
  /** How long the bus archive keeps events for replay. */
  readonly archiveRetention: Duration;
  /** Subscribed to the alarm topic when set. */
  readonly alarmEmail?: string;
  /** Memory overrides per function (MB); the wiring's sizes otherwise. */
  readonly memoryMb: Readonly<Partial<Record<FunctionId, number>>>;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

export const STAGE_CONFIG: Readonly<Record<Stage, Config>> = {
  dev: {
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.ONE_WEEK,
    archiveRetention: Duration.days(7),
    memoryMb: {},
    logLevel: 'DEBUG',
  },
  prod: {
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.THREE_MONTHS,
    archiveRetention: Duration.days(90),
    memoryMb: { ingest: 1024, relay: 1024, evaluate: 1024 },
    logLevel: 'INFO',
  },
};

export class UnknownStageError extends Error {
  constructor(value: unknown) {
    super(`context stage must be one of ${STAGES.join(', ')} (got ${JSON.stringify(value)})`);
    this.name = 'UnknownStageError';
  }
}

/** The stage named by the `stage` context value (default dev); anything else fails synth. */
export function parseStage(value: unknown): Stage {
  if (value === undefined) return 'dev';
  if (typeof value === 'string' && (STAGES as readonly string[]).includes(value)) return value as Stage;
  throw new UnknownStageError(value);
}
