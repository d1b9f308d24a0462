import type { KeyObject } from 'node:crypto';
import type * as http from 'node:http';
import { controlRoutes } from './control-api';
import { DEFAULT_SIMULATOR_TOKEN } from './defaults';
import { DeliveryEngine, type DeliveryOptions } from './delivery';
import { DeliveryLog, type DeliveryRecord } from './delivery-log';
import type { FailureReason, SimMessage } from './events';
import { ApiFaultQueue, graphqlRoute, type ApiFault } from './graphql-api';
import { baseUrlOf, closeServer, HEALTH_ROUTE, listen, serveRoutes } from './http-server';
import { Lifetime } from './lifetime';
import { VoltOperations, type InboundResult } from './operations';
import { RegistrationProbe } from './registration-probe';
import { Reporter, type SimulatorListener } from './reporter';
import { buildResolvers } from './resolvers';
import { buildSimulatorSchema } from './schema';
import { loadSigningKey, probeSigning, Signer, type ProbeMode } from './signer';
import { SimulatorState, type MessageInput, type SimWebhook } from './state';

export interface VoltSimulatorOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** The API token accepted as `Authorization: Bearer <token>`. @default DEFAULT_SIMULATOR_TOKEN */
  readonly token?: string;
  /** The RSA private key to sign with (PEM). @default a fresh 2048-bit key */
  readonly privateKeyPem?: string;
  /** Or a file holding that PEM. Ignored when `privateKeyPem` is set. */
  readonly privateKeyFile?: string;
  /**
   * How a missing or wrong token is answered: `graphql-error` is HTTP 200 with an `errors` entry
   * (code `UNAUTHENTICATED`), the way GraphQL servers usually fail; `http-401` is status 401 with the same body.
   * @default 'graphql-error'
   */
  readonly authFailure?: 'graphql-error' | 'http-401';
  /** Whether the schema has `deleteWebhook` (it is only seen in client code, not in Volt's docs). @default true */
  readonly supportsDelete?: boolean;
  /** The organization's numbers: `createMessage` may send only from these, `registerWebhook` takes only these as `primaryPhone`. @default any E.164 number */
  readonly ownedNumbers?: readonly string[];
  /** Recipients whose messages fail, with the failure reported. @default FAILING_RECIPIENTS */
  readonly failingRecipients?: Readonly<Record<string, FailureReason>>;
  /** @default DEFAULT_DELIVERY_OPTIONS */
  readonly delivery?: Partial<DeliveryOptions>;
  /** Latency added to every GraphQL request. @default 0 */
  readonly apiLatencyMs?: number;
  /** Sign the test request sent to a URL being registered (Volt's behaviour here is unknown). @default true */
  readonly signTestRequest?: boolean;
  /**
   * How the test request sent to a URL being registered is signed: with the default scheme,
   * not at all, or with another scheme (PSS). Wins over `signTestRequest`.
   * @default 'signed', or 'unsigned' when `signTestRequest` is false
   */
  readonly probeMode?: ProbeMode;
  /** Called for everything the simulator does; same as `on(listener)` right after start. */
  readonly onEvent?: SimulatorListener;
}

/**
 * A stand-in for Volt: its GraphQL API (webhook registration and sending messages), a handset
 * that sends inbound messages, and webhook deliveries signed with the simulator's own RSA key.
 * Start it with {@link startVoltSimulator}. This class only assembles the parts (state, delivery
 * engine, registration probe, GraphQL API, control API, HTTP server) and hands calls to them.
 */
export class VoltSimulator {
  /** Base URL, e.g. `http://127.0.0.1:4010`. */
  readonly url: string;
  /** Where the GraphQL API answers: `<url>/graphql`. */
  readonly graphqlUrl: string;
  /** Where the public key is served in OpenSSH format, like Volt's `id_rsa.pub`. */
  readonly publicKeyUrl: string;
  readonly port: number;
  readonly token: string;
  /** The signing key (PKCS#8 PEM), for a receiver that trusts it or a test that signs by hand. */
  readonly privateKeyPem: string;
  /** The public key as served at `publicKeyUrl` (one `ssh-rsa` line). */
  readonly publicKeyOpenSsh: string;

  private readonly reporter = new Reporter();
  private readonly lifetime = new Lifetime();
  private readonly state = new SimulatorState();
  private readonly faults = new ApiFaultQueue();
  private readonly log = new DeliveryLog(this.reporter);
  private readonly engine: DeliveryEngine;
  private readonly operations: VoltOperations;
  private readonly probe: RegistrationProbe;

  /** @internal use {@link startVoltSimulator} */
  constructor(
    private readonly server: http.Server,
    privateKey: KeyObject,
    options: VoltSimulatorOptions,
  ) {
    ({ url: this.url, port: this.port } = baseUrlOf(server));
    this.graphqlUrl = `${this.url}/graphql`;
    this.publicKeyUrl = `${this.url}/id_rsa.pub`;
    this.token = options.token ?? DEFAULT_SIMULATOR_TOKEN;
    const signer = new Signer(privateKey);
    this.privateKeyPem = signer.privateKeyPem;
    this.publicKeyOpenSsh = signer.publicKeyOpenSsh;
    if (options.onEvent) this.reporter.add(options.onEvent);
    const { state, log, lifetime, reporter } = this;
    this.engine = new DeliveryEngine({ state, signer, log, lifetime, reporter }, options.delivery);
    const mode = options.probeMode ?? ((options.signTestRequest ?? true) ? 'signed' : 'unsigned');
    this.probe = new RegistrationProbe({ state, signer, log }, probeSigning(mode));
    const probe = this.probe;
    this.operations = new VoltOperations({ state, engine: this.engine, probe, reporter }, options);
    serveRoutes(server, [
      ...controlRoutes({
        publicKeyOpenSsh: this.publicKeyOpenSsh,
        state,
        log,
        engine: this.engine,
        faults: this.faults,
        operations: this.operations,
      }),
      HEALTH_ROUTE,
      graphqlRoute({
        schema: buildSimulatorSchema({ supportsDelete: options.supportsDelete ?? true }),
        resolvers: buildResolvers(this.operations, state),
        token: this.token,
        authFailure: options.authFailure ?? 'graphql-error',
        apiLatencyMs: options.apiLatencyMs ?? 0,
        faults: this.faults,
        lifetime,
      }),
    ]);
  }

  /** Subscribes to everything the simulator does; returns the unsubscribe function. */
  on(listener: SimulatorListener): () => void {
    return this.reporter.add(listener);
  }

  /** Every POST made to a receiver so far, oldest first. */
  get deliveries(): readonly DeliveryRecord[] {
    return this.log.records;
  }

  get deliveryOptions(): DeliveryOptions {
    return this.engine.options;
  }

  /** Changes how later deliveries behave. */
  setDeliveryOptions(options: Partial<DeliveryOptions>): void {
    this.engine.setOptions(options);
  }

  /** Queues faults for the next GraphQL requests, one request per fault, in order. */
  injectApiFaults(...faults: ApiFault[]): void {
    this.faults.push(...faults);
  }

  /** Drops faults not yet consumed. */
  clearApiFaults(): void {
    this.faults.clear();
  }

  /**
   * Forgets webhooks, messages, the delivery log and pending faults, and restores the delivery
   * options given at start. Call it between tests, after `idle()`.
   */
  reset(): void {
    this.state.clear();
    this.log.clear();
    this.faults.clear();
    this.engine.resetOptions();
  }

  listWebhooks(): SimWebhook[] {
    return this.state.listWebhooks();
  }

  getMessage(id: string): Readonly<SimMessage> | undefined {
    return this.state.getMessage(id);
  }

  /** Resolves when no delivery is pending: all attempts, retries and duplicates are done. */
  idle(): Promise<void> {
    return this.lifetime.idle();
  }

  /** Stops the server and abandons pending deliveries. */
  async stop(): Promise<void> {
    await this.lifetime.stop();
    await closeServer(this.server);
  }

  /** Registers a webhook after a successful test request, as `registerWebhook` does. */
  registerWebhook(
    url: string,
    primaryPhone?: string | null,
    eventTypes?: readonly (string | null)[] | null,
  ): Promise<SimWebhook> {
    return this.operations.registerWebhook(url, primaryPhone, eventTypes);
  }

  /** How the next registrations' test requests are signed (see {@link VoltSimulatorOptions.probeMode}). */
  setProbeMode(mode: ProbeMode): void {
    this.probe.setSigning(probeSigning(mode));
  }

  deleteWebhook(id: string): SimWebhook {
    return this.operations.deleteWebhook(id);
  }

  /** Sends a message: answers at once with status `queued`, then delivers `message.sent` and `message.finalized`. */
  createMessage(input: MessageInput): SimMessage {
    return this.operations.createMessage(input);
  }

  /** A handset sends a message to one of the organization's numbers: delivers `message.received`. */
  simulateInbound(input: MessageInput): InboundResult {
    return this.operations.simulateInbound(input);
  }
}

/**
 * Starts a Volt simulator. Resolves once it listens; `stop()` it when done.
 *
 * ```ts
 * const volt = await startVoltSimulator({ port: 0 });
 * // volt.graphqlUrl, volt.publicKeyUrl, volt.privateKeyPem, volt.token
 * await volt.stop();
 * ```
 */
export async function startVoltSimulator(options: VoltSimulatorOptions = {}): Promise<VoltSimulator> {
  const key = await loadSigningKey(options);
  const server = await listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return new VoltSimulator(server, key, options);
}
