import { createServer } from 'node:net';
import type { LocalStackPorts } from '../model';
import { PortInUseError } from '../standins';
import { STANDIN_SERVICES } from '../endpoints';
import { PORT_OPTIONS, portHint, UsageError, VOLT_PORT, type StartOptions } from './options';

/**
 * `npm start` checks every fixed port it will listen on before it synthesizes: a stack that is
 * still running (the usual case) fails the start in well under a second, not after the synth.
 */

export interface PortClaim {
  readonly service: string;
  readonly port: number;
  readonly hint: string;
}

/** The ports of a start, as the servers name them in their own errors; 0 (any free port) is left out. */
export function portClaims(options: Pick<StartOptions, 'ports' | 'voltPort'>): PortClaim[] {
  const services: Record<keyof LocalStackPorts, string> = {
    http: 'HTTP API',
    sqs: `${STANDIN_SERVICES.sqs.label} stand-in`,
    dynamodb: `${STANDIN_SERVICES.dynamodb.label} stand-in`,
    secretsManager: `${STANDIN_SERVICES.secretsManager.label} stand-in`,
    eventbridge: `${STANDIN_SERVICES.eventbridge.label} stand-in`,
    s3: `${STANDIN_SERVICES.s3.label} stand-in`,
  };
  const claims: PortClaim[] = (Object.keys(PORT_OPTIONS) as (keyof LocalStackPorts)[]).map((key) => ({
    service: services[key],
    port: options.ports[key],
    hint: portHint(key),
  }));
  claims.push({
    service: 'Volt simulator',
    port: options.voltPort,
    hint: `pass --${VOLT_PORT.flag} <port> (0 = a free port)`,
  });
  return claims.filter((c) => c.port !== 0);
}

/** Resolves when `port` can be listened on at `host`; a {@link PortInUseError} when it is taken. */
function probe(claim: PortClaim, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(claim.service, claim.port, claim.hint) : err);
    });
    server.listen(claim.port, host, () => server.close(() => resolve()));
  });
}

/** Fails with the first taken port (in the order of the flags), naming its service and flag; a port given twice is a usage error. */
export async function checkPortsFree(claims: readonly PortClaim[], host = '127.0.0.1'): Promise<void> {
  const seen = new Map<number, string>();
  for (const claim of claims) {
    const other = seen.get(claim.port);
    if (other !== undefined)
      throw new UsageError(`the ${other} and the ${claim.service} are both given port ${claim.port}`);
    seen.set(claim.port, claim.service);
  }
  for (const claim of claims) await probe(claim, host);
}
