import { Webhook } from 'standardwebhooks';

/**
 * Standard Webhooks headers for one message, signed by the `standardwebhooks` library (HMAC-SHA256
 * over `id.timestamp.body`). During a secret rotation both secrets sign: `webhook-signature` holds
 * two space-separated `v1,…` signatures and a receiver holding either secret accepts the message.
 */
export function signedHeaders(
  id: string,
  at: Date,
  body: string,
  secrets: readonly string[],
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  if (secrets.length === 0) throw new Error('no webhook secret to sign with');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(id, at, body)).join(' '),
  };
}
