import { randomBytes } from 'node:crypto';
import { dataKey, open, seal } from '../platform/sealed';

/**
 * Webhook secrets as Standard Webhooks spells them: `whsec_` + base64 of 24 random bytes (the
 * receiver's library decodes the part after the prefix as the HMAC key). Stored sealed with the
 * data key; shown once, when created or rotated.
 */
export const SECRET_PREFIX = 'whsec_';

export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

export function sealSecret(secret: string, dataKeyBase64: string): string {
  return seal(secret, dataKey(dataKeyBase64));
}

export function openSecret(sealed: string, dataKeyBase64: string): string {
  return open(sealed, dataKey(dataKeyBase64));
}
