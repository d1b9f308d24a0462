/**
 * The token the simulator accepts unless told otherwise. Kept apart from the simulator so the
 * CLI's `send --local` can use it without loading the GraphQL server.
 */
export const DEFAULT_SIMULATOR_TOKEN = 'local-dev-token';
