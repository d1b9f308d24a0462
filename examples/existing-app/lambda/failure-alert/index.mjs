// Your own target on the status events: EventBridge invokes it with one event per failed
// message that the rule in lib/app-stack.ts matches. Delivery is at least once (and a replay
// from the archive delivers again), so a real target deduplicates on detail.webhookId.
export const handler = async (event) => {
  const { messageId, webhookId, status, errorCode, providerErrorTitle } = event.detail;
  // Ids and the failure only: phone numbers stay out of the logs.
  console.log(JSON.stringify({ messageId, webhookId, status, errorCode, providerErrorTitle }));
};
