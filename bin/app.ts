#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { readAppConfig } from '../lib/config';
import { VoltWebhooksStack } from '../lib/volt-webhooks-stack';

const app = new App();
const config = readAppConfig((key) => app.node.tryGetContext(key));
const { stackName, ...pipeline } = config;
new VoltWebhooksStack(app, stackName, {
  pipeline,
  description: 'Volt SMS webhooks: verified ingest, durable queues and message state (volt-sms-webhooks)',
});
