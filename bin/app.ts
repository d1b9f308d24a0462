#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readAppConfig } from '../lib/config';
import { VoltWebhooksStack } from '../lib/volt-webhooks-stack';

const app = new App();
// `-c nag=true`: check the app against cdk-nag's AwsSolutions rules while synthesizing; an
// unacknowledged finding fails the synth. The test suite runs the same check (test/infra/nag.test.ts).
const nag = app.node.tryGetContext('nag') as unknown;
if (nag === true || nag === 'true') Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const config = readAppConfig((key) => app.node.tryGetContext(key));
const { stackName, ...pipeline } = config;
new VoltWebhooksStack(app, stackName, {
  pipeline,
  description: 'Volt SMS webhooks: verified ingest, durable queues and message state (volt-sms-webhooks)',
});
