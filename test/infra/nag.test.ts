/** cdk-nag AwsSolutions: synth fails on any unacknowledged error; every acknowledgment has a reason. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { NAG_RUNTIME, NAG_XRAY } from '../../lib/nag.ts';
import { buildTestEngine, cleanUp } from './support.ts';

afterAll(cleanUp);

function acknowledgments(app: ReturnType<typeof buildTestEngine>['app']) {
  return app.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
    .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id, reason })));
}

describe.each(['dev', 'prod'])('cdk-nag AwsSolutions (%s)', (stage) => {
  it('synthesizes with 0 unacknowledged errors', () => {
    const { app } = buildTestEngine({ stage });
    const assembly = app.synth();
    const report = readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8');
    expect(report).toContain('AwsSolutions');
  });

  it('gives every acknowledgment a reason', () => {
    const { app } = buildTestEngine({ stage });
    const acks = acknowledgments(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^AwsSolutions::AwsSolutions-/);
      expect(ack.reason.length).toBeGreaterThan(40);
    }
    expect(new Set(acks.map((a) => a.id))).toEqual(
      new Set([NAG_RUNTIME.id, NAG_XRAY.id, 'AwsSolutions::AwsSolutions-SQS3']),
    );
  });
});
