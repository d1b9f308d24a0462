import { createServer, type Server } from 'node:net';
import { parseStartOptions, UsageError, type StartOptions } from '../../../../local/start/options';
import { checkPortsFree, portClaims } from '../../../../local/start/ports';
import { PortInUseError } from '../../../../local/standins';

/** `npm start` refuses a taken port before it synthesizes anything. */

const PORT_ENV = [
  'LOCAL_HTTP_PORT',
  'LOCAL_SQS_PORT',
  'LOCAL_DYNAMODB_PORT',
  'LOCAL_SECRETS_PORT',
  'LOCAL_S3_PORT',
  'LOCAL_VOLT_PORT',
];
const saved = Object.fromEntries(PORT_ENV.map((name) => [name, process.env[name]]));
beforeEach(() => {
  for (const name of PORT_ENV) delete process.env[name];
});
afterAll(() => {
  for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
});

const options = (...args: string[]) => parseStartOptions(args) as StartOptions;

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

test('claims every fixed port of a start, by service, leaving out those picked freely (0)', () => {
  expect(portClaims(options()).map((c) => [c.service, c.port])).toEqual([
    ['HTTP API', 3000],
    ['SQS stand-in', 9324],
    ['DynamoDB stand-in', 8000],
    ['Volt simulator', 4010],
  ]);
  expect(portClaims(options('--port', '0', '--secrets-port', '4999')).map((c) => c.port)).toEqual([
    9324, 8000, 4999, 4010,
  ]);
});

test('a taken port fails with the service, the port and the flag that picks another', async () => {
  const { server, port } = await listening();
  try {
    const claims = portClaims(
      options('--port', '0', '--sqs-port', '0', '--dynamodb-port', `${port}`, '--volt-port', '0'),
    );
    const failure = checkPortsFree(claims);
    await expect(failure).rejects.toBeInstanceOf(PortInUseError);
    await expect(failure).rejects.toThrow(
      `port ${port} for the DynamoDB stand-in is already in use (another local stack still running?); pass --dynamodb-port <port> (0 = a free port)`,
    );
  } finally {
    await close(server);
  }
});

test('free ports pass, and stay free afterwards', async () => {
  const { server, port } = await listening();
  await close(server);
  await checkPortsFree(
    portClaims(options('--port', `${port}`, '--sqs-port', '0', '--dynamodb-port', '0', '--volt-port', '0')),
  );
  const again = createServer();
  await new Promise<void>((resolve, reject) => {
    again.once('error', reject);
    again.listen(port, '127.0.0.1', resolve);
  });
  await close(again);
});

test('one port given to two services is a usage error', async () => {
  const claims = portClaims(
    options('--port', '4321', '--volt-port', '4321', '--sqs-port', '0', '--dynamodb-port', '0'),
  );
  await expect(checkPortsFree(claims)).rejects.toThrow(UsageError);
  await expect(checkPortsFree(claims)).rejects.toThrow('the HTTP API and the Volt simulator are both given port 4321');
});
