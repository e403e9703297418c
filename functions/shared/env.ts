/**
 * Typed environment configuration, read once at module scope by the composition roots. A missing
 * variable fails the cold start with its name, instead of an `undefined` queue URL deep in a request.
 */

export class MissingEnvError extends Error {
  constructor(readonly variable: string) {
    super(`environment variable ${variable} is not set`);
    this.name = 'MissingEnvError';
  }
}

export class InvalidEnvError extends Error {
  constructor(
    readonly variable: string,
    expected: string,
  ) {
    super(`environment variable ${variable} must be ${expected}`);
    this.name = 'InvalidEnvError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** The value of a required variable; throws {@link MissingEnvError} naming it when unset or empty. */
export function requireEnv(name: string, env: Env = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new MissingEnvError(name);
  return value;
}

/** The value of an optional variable (undefined when unset or empty). */
export function optionalEnv(name: string, env: Env = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** A positive integer variable, or `fallback` when unset. */
export function intEnv(name: string, fallback: number, env: Env = process.env): number {
  const raw = optionalEnv(name, env);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidEnvError(name, 'a positive integer');
  return value;
}

/** The variables the handlers read; the CDK stack and the local runtime set the same names. */
export const ENV = {
  /** Campaign file bundled with the function (YAML or JSON); default: campaigns/default.yaml. */
  campaignsFile: 'CAMPAIGNS_FILE',
  /** Optional replenishment model (JSON written by the maintenance fit); absent: no replenishment. */
  replenishmentModelFile: 'REPLENISHMENT_MODEL_FILE',
  emailQueueUrl: 'EMAIL_QUEUE_URL',
  smsQueueUrl: 'SMS_QUEUE_URL',
  pushQueueUrl: 'PUSH_QUEUE_URL',
  workQueueUrl: 'WORK_QUEUE_URL',
  rejectedQueueUrl: 'REJECTED_QUEUE_URL',
  maintenanceQueueUrl: 'MAINTENANCE_QUEUE_URL',
  /** Customers processed at once by a batch consumer (records of one customer stay in order). */
  concurrency: 'BATCH_CONCURRENCY',
  /** Parallel Scan segments of a maintenance sweep. */
  sweepSegments: 'SWEEP_SEGMENTS',
  /** Customers per page of the due index: a dispatcher slice holding more is handed on as a wave. */
  duePageLimit: 'DUE_PAGE_LIMIT',
} as const;

export interface QueueUrls {
  email: string;
  sms: string;
  push: string;
}

/** The channel queues, all required: a message for a channel without a queue must not be dropped. */
export function channelQueueUrls(env: Env = process.env): QueueUrls {
  return {
    email: requireEnv(ENV.emailQueueUrl, env),
    sms: requireEnv(ENV.smsQueueUrl, env),
    push: requireEnv(ENV.pushQueueUrl, env),
  };
}
