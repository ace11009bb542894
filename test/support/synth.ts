import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MfaServiceStack, type MfaServiceStackProps } from '../../infra/mfa-service-stack.js';

/** Synthesizes the service stack in-process (Lambda bundling skipped unless asked for). */
export const synthStack = (props: MfaServiceStackProps = {}, bundle = false) => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'mfa-synth-'));
  const app = new App({ outdir, context: bundle ? {} : { 'aws:cdk:bundling-stacks': [] } });
  const stack = new MfaServiceStack(app, 'MfaServiceStack', props);
  const template = Template.fromStack(stack);
  return { app, stack, template, outdir };
};
