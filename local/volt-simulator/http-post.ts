import * as http from 'node:http';
import * as https from 'node:https';

/** What one POST got back: a status, or the network error that stood in its way. */
export interface PostResult {
  readonly status?: number;
  readonly error?: string;
  readonly ok: boolean;
}

/**
 * POSTs a body and reads the status. Uses node:http with a fresh connection per request
 * (`agent: false`) so the simulator holds no pooled sockets that would keep a test process,
 * or the receiver's server, from closing.
 */
export function postBody(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<PostResult> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ ok: false, error: `invalid URL ${url}` });
      return;
    }
    const client = target.protocol === 'https:' ? https : http;
    const bytes = Buffer.from(body, 'utf8');
    const request = client.request(
      target,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': String(bytes.length),
          'user-agent': 'volt-simulator',
          ...headers,
        },
        timeout: timeoutMs,
      },
      (response) => {
        // Drain the answer; only its status matters.
        response.resume();
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          resolve({ status, ok: status >= 200 && status < 300 });
        });
        response.on('error', (err: Error) => resolve({ ok: false, error: err.message }));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, error: err.code ? `${err.code}: ${err.message}` : err.message }),
    );
    request.end(bytes);
  });
}
