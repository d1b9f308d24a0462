import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readAppConfig } from '../../lib/config';
import { VoltWebhooksStack } from '../../lib/volt-webhooks-stack';

/**
 * Synthesizes the app's stack from context values, as `cdk synth -c ...` would (unknown keys
 * included). Bundling is skipped unless asked for: most infra tests only read the template.
 */
export function synthStack(context: Record<string, unknown> = {}, options: { bundle?: boolean; outdir?: string } = {}) {
  const app = new App({
    context: {
      ...context,
      ...(options.bundle ? { 'aws:cdk:enable-asset-metadata': true } : { 'aws:cdk:bundling-stacks': [] }),
    },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const {
    stackName,
    nag: _nag,
    ...pipeline
  } = readAppConfig((key) => app.node.tryGetContext(key), Object.keys(app.node.getAllContext()));
  const stack = new VoltWebhooksStack(app, stackName, { pipeline });
  return { app, stack, template: Template.fromStack(stack) };
}
