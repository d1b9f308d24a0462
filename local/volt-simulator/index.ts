// The Volt simulator's public entry, for tests and the local stack runner.
export {
  startVoltSimulator,
  VoltSimulator,
  SimulatorStartError,
  DEFAULT_SIMULATOR_TOKEN,
  DEFAULT_DELIVERY_OPTIONS,
} from './simulator';
export type {
  VoltSimulatorOptions,
  DeliveryOptions,
  ApiFault,
  SimWebhook,
  DeliveryRecord,
  SimulatorEvent,
  SimulatorListener,
} from './simulator';
export { FAILING_RECIPIENTS } from './events';
export type { FailureReason } from './events';
export { toOpenSshRsa } from './ssh-key';
