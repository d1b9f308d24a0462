import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** An API Gateway HTTP API (payload v2) event for `POST /webhooks`, as the real service builds it. */
export function webhookEvent(
  body: string | Buffer,
  headers: Record<string, string> = {},
  options: { base64?: boolean } = {},
): APIGatewayProxyEventV2 {
  const base64 = options.base64 ?? Buffer.isBuffer(body);
  const text = Buffer.isBuffer(body)
    ? body.toString(base64 ? 'base64' : 'utf8')
    : base64
      ? Buffer.from(body).toString('base64')
      : body;
  return {
    version: '2.0',
    routeKey: 'POST /webhooks',
    rawPath: '/webhooks',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example',
      domainPrefix: 'api',
      http: { method: 'POST', path: '/webhooks', protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'volt' },
      requestId: 'req',
      routeKey: 'POST /webhooks',
      stage: '$default',
      time: '25/Nov/2026:00:00:00 +0000',
      timeEpoch: 0,
    },
    body: text,
    isBase64Encoded: base64,
  };
}
