import { createPublicKey, verify } from 'node:crypto';

// The least any correct receiver does: check the RSA signature over the raw body with a key
// parsed once, and parse the JSON. No SDK, no queue.
const keys = (JSON.parse(process.env['VOLT_PUBLIC_KEYS'] ?? '[]') as string[]).map((pem) => createPublicKey(pem));

export const handler = async (event: {
  headers?: Record<string, string | undefined>;
  body?: string;
}): Promise<{ statusCode: number }> => {
  const signature = event.headers?.['x-respond-flow-signature'];
  const body = Buffer.from(event.body ?? '', 'utf8');
  if (!signature || !keys.some((k) => verify('sha256', body, k, Buffer.from(signature, 'base64'))))
    return { statusCode: 401 };
  JSON.parse(body.toString('utf8'));
  return { statusCode: 200 };
};
