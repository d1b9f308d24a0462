/**
 * The AWS services the stand-ins serve, in one list: it names their ports, the functions'
 * `AWS_ENDPOINT_URL_*` variables and the `<service>Endpoint` fields of `.local/stack.json`.
 * A new stand-in is one more entry here (and its server in `standins.ts`). No imports: the CLI
 * loads this module through `stack-file.ts`.
 */
export const STANDIN_SERVICES = {
  sqs: { sdkServiceId: 'SQS', label: 'SQS' },
  dynamodb: { sdkServiceId: 'DynamoDB', label: 'DynamoDB' },
  secretsManager: { sdkServiceId: 'Secrets Manager', label: 'Secrets Manager' },
  eventbridge: { sdkServiceId: 'EventBridge', label: 'EventBridge' },
  s3: { sdkServiceId: 'S3', label: 'S3' },
} as const;

export type StandinService = keyof typeof STANDIN_SERVICES;

/** Endpoint URL of each stand-in. */
export type StandinEndpoints = Readonly<Record<StandinService, string>>;

/** The `.local/stack.json` fields holding the endpoints: `sqsEndpoint`, `dynamodbEndpoint`, ... */
export type EndpointFields = { readonly [S in StandinService as `${S}Endpoint`]: string };

export const STANDIN_SERVICE_NAMES = Object.keys(STANDIN_SERVICES) as StandinService[];

/** `sqs` -> `sqsEndpoint`. */
export function endpointField<S extends StandinService>(service: S): `${S}Endpoint` {
  return `${service}Endpoint`;
}

/**
 * The SDK's standard per-service endpoint variables (`AWS_ENDPOINT_URL_SQS`,
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`: the service id upper-cased, spaces as underscores), so
 * function code reaches the stand-ins with no local branch.
 */
export function endpointEnvironment(endpoints: StandinEndpoints): Record<string, string> {
  return Object.fromEntries(
    STANDIN_SERVICE_NAMES.map((service) => [
      `AWS_ENDPOINT_URL_${STANDIN_SERVICES[service].sdkServiceId.toUpperCase().replace(/ /g, '_')}`,
      endpoints[service],
    ]),
  );
}

export function endpointFields(endpoints: StandinEndpoints): EndpointFields {
  return Object.fromEntries(
    STANDIN_SERVICE_NAMES.map((service) => [endpointField(service), endpoints[service]]),
  ) as unknown as EndpointFields;
}
