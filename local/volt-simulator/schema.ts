import { buildSchema, type GraphQLSchema } from 'graphql';

/**
 * The operations of Volt's GraphQL API this project knows of (see docs/volt-simulator.md), plus
 * `simulateInbound`, which only the simulator has. `WebhookEventType`'s real values are
 * unpublished, so it is a scalar here: any string is accepted.
 */
export function buildSimulatorSchema(options: { readonly supportsDelete: boolean }): GraphQLSchema {
  return buildSchema(`
    scalar WebhookEventType

    type Webhook {
      id: ID!
      url: String!
      createdAt: String!
      lastUpdatedAt: String!
      primaryPhone: String
      eventTypes: [WebhookEventType]
    }

    type Message {
      id: ID!
      toNumber: String!
      fromNumber: String!
      status: String!
      statusDescription: String
      media: [String!]!
      body: String!
      sentAt: String
      confirmedAt: String
    }

    type SimulatedInbound {
      messageAppId: String!
      webhookEventId: String!
      deliveredTo: Int!
    }

    type Query {
      webhooks: [Webhook!]!
      message(id: ID!): Message
    }

    type Mutation {
      registerWebhook(url: String!, primaryPhone: String, eventTypes: [WebhookEventType]): Webhook!
      ${options.supportsDelete ? 'deleteWebhook(id: ID!): Webhook!' : ''}
      createMessage(to: String!, from: String!, body: String!, media: [String!]): Message!
      simulateInbound(from: String!, to: String!, body: String!, media: [String!]): SimulatedInbound!
    }
  `);
}
