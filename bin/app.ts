#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ContextError, readAppConfig, type AppConfig } from '../lib/config';
import { InvalidPropsError } from '../lib/validation';
import { VoltWebhooksStack } from '../lib/volt-webhooks-stack';

/** A configuration mistake is the user's to fix: one line each, exit code 1, no stack trace. */
function fail(err: ContextError | InvalidPropsError): never {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

const app = new App();
let config: AppConfig;
try {
  // Everything is checked here, before any construct (and so any bundling) exists.
  config = readAppConfig((key) => app.node.tryGetContext(key), Object.keys(app.node.getAllContext()));
} catch (err: unknown) {
  if (err instanceof ContextError) fail(err);
  throw err;
}
const { stackName, nag, ...pipeline } = config;
// `-c nag=true`: check the app against cdk-nag's AwsSolutions rules while synthesizing; an
// unacknowledged finding fails the synth. The test suite runs the same check (test/infra/lib/volt-webhooks-stack.nag.test.ts).
if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
try {
  new VoltWebhooksStack(app, stackName, {
    pipeline,
    description: 'Volt SMS webhooks: verified ingest, durable queues and message state (volt-sms-webhooks)',
  });
} catch (err: unknown) {
  if (err instanceof InvalidPropsError) fail(err);
  throw err;
}
