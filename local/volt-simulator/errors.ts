import { GraphQLError } from 'graphql';

/** The port is taken, the key is not RSA, or another start-up problem: said plainly instead of a stack. */
export class SimulatorStartError extends Error {}

/**
 * An error Volt's API answers in the GraphQL `errors` list, with `extensions.code` (e.g.
 * `BAD_USER_INPUT`). The operations throw it directly, so a caller of `registerWebhook` from code
 * sees the same error a GraphQL client does.
 */
export function apiError(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}
