// The Volt simulator's public entry, for tests and the local stack runner.
export { startVoltSimulator, VoltSimulator } from './simulator';
export type { VoltSimulatorOptions } from './simulator';
export { SimulatorStartError } from './errors';
export { DEFAULT_SIMULATOR_TOKEN } from './defaults';
export { DEFAULT_DELIVERY_OPTIONS } from './delivery';
export type { DeliveryOptions } from './delivery';
export type { ApiFault } from './graphql-api';
export type { SimWebhook } from './state';
export type { DeliveryRecord } from './delivery-log';
export type { SimulatorEvent, SimulatorListener } from './reporter';
export { FAILING_RECIPIENTS } from './events';
export type { FailureReason } from './events';
export { toOpenSshRsa } from './ssh-key';
export { PROBE_MODES, parseProbeMode } from './signer';
export type { ProbeMode } from './signer';
