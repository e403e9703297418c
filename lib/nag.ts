/**
 * The cdk-nag AwsSolutions findings this app accepts, each on the narrowest construct and with its
 * reason. Everything else fails synth (and the infra tests).
 */
import { Validations } from 'aws-cdk-lib';
import type { StatefulStack } from './stacks/stateful-stack.ts';
import type { StatelessStack } from './stacks/stateless-stack.ts';
import type { QueueId } from './wiring.ts';
import { FUNCTION_IDS } from './wiring.ts';

export interface NagAcknowledgment {
  readonly id: string;
  readonly reason: string;
}

/** Terminal queues: nothing consumes them automatically, so there is nothing to redrive from them. */
const TERMINAL_QUEUES: Readonly<Partial<Record<QueueId, string>>> = {
  rejected:
    'The rejected queue is itself the dead-letter queue for invalid events and undeliverable-message references; ops inspect it (its depth alarms), nothing consumes it.',
  relayFailures:
    'The relay on-failure destination for the customers stream: it receives stream-batch metadata for replay and is only read by ops (its depth alarms).',
};

export const NAG_RUNTIME: NagAcknowledgment = {
  id: 'AwsSolutions::AwsSolutions-L1',
  reason:
    'The project targets the Node.js 22 runtime (the version the code and tests run against); the upgrade to a newer runtime is a deliberate, separately tested change.',
};

export const NAG_XRAY: NagAcknowledgment = {
  id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
  reason:
    'Resource "*" only for actions AWS does not scope to a resource: xray:PutTraceSegments/PutTelemetryRecords (active tracing) and, on the relay, dynamodb:ListStreams (stream event source).',
};

export function acknowledgeNagFindings(stacks: { data: StatefulStack; service: StatelessStack }): void {
  for (const [queueId, reason] of Object.entries(TERMINAL_QUEUES) as [QueueId, string][]) {
    Validations.of(stacks.data.queues[queueId]).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason,
    });
  }
  for (const fnId of FUNCTION_IDS) {
    const fn = stacks.service.functions[fnId];
    Validations.of(fn).acknowledge(NAG_RUNTIME);
    if (fn.role !== undefined) Validations.of(fn.role).acknowledge(NAG_XRAY);
  }
}
