// The reference for cold starts: a handler that loads nothing and does nothing.
export const handler = async () => ({ statusCode: 200, body: '' });
