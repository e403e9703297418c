/**
 * What the embedded stack hands a handler besides its event: a Lambda-like `Context` whose remaining
 * time follows the stack's `Clock`, and deterministic ids (same run, same ids).
 */
import { createHash } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { Clock } from './clock.ts';

export const DEFAULT_ACCOUNT = '000000000000';
export const DEFAULT_REGION = 'us-east-1';

/** A UUID-shaped id, a pure function of its namespace and counter. */
export function deterministicUuid(namespace: string, n: number): string {
  const h = createHash('sha256').update(`${namespace}:${n}`).digest('hex');
  const variant = ((Number.parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface LambdaContextOptions {
  functionName: string;
  /** The function's timeout: `getRemainingTimeInMillis` counts down from it on the clock. */
  timeoutSeconds: number;
  memoryMb?: number;
  awsRequestId: string;
  account?: string;
  region?: string;
}

export function makeLambdaContext(clock: Clock, options: LambdaContextOptions): Context {
  const account = options.account ?? DEFAULT_ACCOUNT;
  const region = options.region ?? DEFAULT_REGION;
  const deadlineMs = clock.now() + options.timeoutSeconds * 1000;
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name} is not supported: return a value or a promise`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${options.functionName}`,
    memoryLimitInMB: String(options.memoryMb ?? 512),
    awsRequestId: options.awsRequestId,
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `local/[$LATEST]${options.awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - clock.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
