import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { Deployment } from '../deployment';
import { LocalHttpApi, type ThrottleSettings } from '../http-api';
import { listen } from '../standins';
import {
  numberOr,
  resourcesOfType,
  stringOf,
  TemplateError,
  type Json,
  type JsonObject,
  type TemplateResource,
} from '../template';
import type { ProvidedValues, ResourceKind } from './kind';

/**
 * API Gateway HTTP APIs (see `../http-api.ts`), with their stages, routes and Lambda proxy
 * integrations. An API listens as soon as its values are asked for: its URL is its
 * `ApiEndpoint`, which outputs and custom resource properties name.
 */

const API = 'AWS::ApiGatewayV2::Api';
const STAGE = 'AWS::ApiGatewayV2::Stage';
const ROUTE = 'AWS::ApiGatewayV2::Route';
const INTEGRATION = 'AWS::ApiGatewayV2::Integration';

function stageOf(apiId: string, deployment: Deployment): [string, TemplateResource] | undefined {
  return resourcesOfType(deployment.template, STAGE).find(
    ([, s]) => JSON.stringify(s.Properties?.['ApiId']) === JSON.stringify({ Ref: apiId }),
  );
}

// API Gateway's default account quota, per region: what a route gets for a limit it does not set.
const ACCOUNT_RATE_LIMIT = 10_000;
const ACCOUNT_BURST_LIMIT = 5_000;

/** A `RouteSettings` value's throttle, or `undefined` when it sets neither limit. */
function throttleOf(settings: Json | undefined): ThrottleSettings | undefined {
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) return undefined;
  const rate = settings['ThrottlingRateLimit'];
  const burst = settings['ThrottlingBurstLimit'];
  if (rate === undefined && burst === undefined) return undefined;
  return {
    rateLimit: numberOr(rate, ACCOUNT_RATE_LIMIT),
    burstLimit: numberOr(burst, ACCOUNT_BURST_LIMIT),
  };
}

/**
 * The stage's throttles, as API Gateway enforces them (429 `{"message":"Too Many Requests"}`):
 * `DefaultRouteSettings` for every route, `RouteSettings` per route key. Read as literals: the
 * stage is not started yet when its API is, and CDK writes the limits as plain numbers.
 */
function stageThrottles(stage: TemplateResource | undefined): {
  throttle?: ThrottleSettings;
  routeThrottles?: Record<string, ThrottleSettings>;
} {
  const props = stage?.Properties ?? {};
  const throttle = throttleOf(props['DefaultRouteSettings']);
  const routeThrottles: Record<string, ThrottleSettings> = {};
  const perRoute = props['RouteSettings'];
  if (perRoute !== null && typeof perRoute === 'object' && !Array.isArray(perRoute)) {
    for (const [routeKey, settings] of Object.entries(perRoute)) {
      const own = throttleOf(settings);
      if (own) routeThrottles[routeKey] = own;
    }
  }
  return {
    ...(throttle ? { throttle } : {}),
    ...(Object.keys(routeThrottles).length > 0 ? { routeThrottles } : {}),
  };
}

async function provideApi(id: string, resource: TemplateResource, deployment: Deployment): Promise<ProvidedValues> {
  const protocol = stringOf(resource.Properties?.['ProtocolType']);
  if (protocol !== 'HTTP') {
    deployment.emit({ kind: 'warn', message: `${id}: only HTTP APIs run locally; ${protocol} API skipped` });
    return { ref: deployment.physicalName(id, 128), attributes: { Arn: deployment.arn('apigatewayv2', id) } };
  }
  const { host, accountId, options } = deployment.settings;
  const apiId = createHash('sha256').update(`${deployment.stackName}/${id}`).digest('hex').slice(0, 10);
  const stageResource = stageOf(id, deployment)?.[1];
  const stage = stringOf(stageResource?.Properties?.['StageName']) ?? '$default';
  const api = new LocalHttpApi({
    apiId,
    stage,
    accountId,
    ...stageThrottles(stageResource),
    onRequest: (log) => deployment.emit({ kind: 'http', ...log }),
  });
  // The first API gets the port asked for; any other a free one.
  const port = deployment.apis.size === 0 ? (options.ports?.http ?? 0) : 0;
  const server = await listen(createServer(api.handler), port, host, 'HTTP API', deployment.portHint('http'));
  api.domainName = `${host}:${server.port}`;
  deployment.apis.set(id, api);
  deployment.apiEndpoints[id] = server.url;
  return { ref: apiId, attributes: { ApiEndpoint: server.url, ApiId: apiId }, stop: () => server.close() };
}

/** The integration a route targets (`integrations/<id>`), checked to be one the runner can serve. */
function integrationFor(
  routeId: string,
  target: string,
  deployment: Deployment,
): { readonly id: string; readonly props: JsonObject } {
  const integrationRef = target.replace(/^integrations\//, '');
  const found = Object.entries(deployment.template.Resources).find(
    ([iid]) => deployment.refs.get(iid) === integrationRef,
  );
  if (!found || found[1].Type !== INTEGRATION)
    throw new TemplateError(`${routeId}: target ${target} is not an integration in the template`);
  const [integrationId] = found;
  const props = deployment.properties(integrationId);
  if (stringOf(props['IntegrationType']) !== 'AWS_PROXY')
    throw new TemplateError(
      `${integrationId}: only Lambda proxy integrations run locally, not ${stringOf(props['IntegrationType'])}`,
    );
  if (stringOf(props['PayloadFormatVersion']) !== '2.0')
    throw new TemplateError(
      `${integrationId}: payload format ${stringOf(props['PayloadFormatVersion'])} is not emulated; only 2.0 is`,
    );
  return { id: integrationId, props };
}

async function startRoute(id: string, deployment: Deployment): Promise<undefined> {
  const props = deployment.properties(id);
  const apiLogicalId = [...deployment.apis.keys()].find((a) => deployment.refs.get(a) === props['ApiId']);
  const api = apiLogicalId ? deployment.apis.get(apiLogicalId) : undefined;
  if (!api) return undefined;
  const target = stringOf(props['Target']);
  if (!target) {
    deployment.emit({
      kind: 'warn',
      message: `${id}: route ${stringOf(props['RouteKey'])} has no integration; skipped`,
    });
    return undefined;
  }
  const integration = integrationFor(id, target, deployment);
  const fn = deployment.functionFor(stringOf(integration.props['IntegrationUri']) ?? '', integration.id);
  api.addRoute({ routeKey: stringOf(props['RouteKey']) ?? '$default', target: fn });
  return undefined;
}

export const httpApiKind: ResourceKind = {
  name: 'HTTP API',
  types: [API, STAGE, ROUTE, INTEGRATION],

  provide(id, resource, deployment) {
    if (resource.Type === API) return provideApi(id, resource, deployment);
    const placeholder = {
      ref: deployment.physicalName(id, 128),
      attributes: { Arn: deployment.arn('apigatewayv2', id) },
    };
    if (resource.Type !== STAGE) return placeholder;
    return { ...placeholder, ref: stringOf(resource.Properties?.['StageName']) ?? '$default' };
  },

  async start(id, resource, deployment) {
    return resource.Type === ROUTE ? startRoute(id, deployment) : undefined;
  },
};
