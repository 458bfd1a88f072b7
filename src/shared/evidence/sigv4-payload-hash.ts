import type { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/**
 * SigV4 payload hashes (`x-amz-content-sha256`) we hand the SDK's signer instead of letting it
 * compute them: our own SHA-256 on the single PutObject, `UNSIGNED-PAYLOAD` on multipart parts.
 *
 * The SDK behaviour worked around: `@smithy/signature-v4`'s `getPayloadHash`, which signs every
 * S3 request, hashes the request body itself whenever it is a string, ArrayBuffer or typed array,
 * and our bodies are Buffers (the one-part object, each lib-storage part). That is a second full
 * SHA-256 pass over bytes `put` already hashes for the whole object, and neither `S3Client` nor
 * lib-storage's `Upload` has an option to supply a known hash or to choose `UNSIGNED-PAYLOAD` for
 * such a body. The signer does take an `x-amz-content-sha256` header already on the request
 * instead of hashing, so a build-step middleware (build runs before finalizeRequest, where the
 * signer is) sets it. The header is still among the SignedHeaders, so it cannot be changed on
 * the way.
 *
 * Why this is safe:
 * - PutObject: the value is the SHA-256 of exactly the body sent, taken as the body was read, so
 *   S3 checks the body against it as it would against the SDK's own (a mismatch is refused with
 *   `XAmzContentSHA256Mismatch`).
 * - UploadPart: `UNSIGNED-PAYLOAD` is the standard SigV4 form for a payload that is not hashed,
 *   used only where nothing can alter the bytes unnoticed in transit: HTTPS (TLS authenticates
 *   every record) or loopback (nothing in between). Plain HTTP to another host keeps the SDK's
 *   signed payload. End to end, the whole object's SHA-256, stamped on the object and recorded
 *   in the database, covers every part, and `verify` re-reads and compares.
 *
 * test/integration/evidence-store.test.ts checks both headers as sent and signed, so an SDK
 * that stopped honouring the header would fail there, not in production.
 */

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** The one `middlewareStack.add` overload used here (a build-step middleware). */
interface BuildStack {
  add(
    middleware: (
      next: (args: { request: unknown }) => Promise<unknown>,
      context: { commandName?: string },
    ) => (args: { request: unknown }) => Promise<unknown>,
    options: { step: 'build'; name: string; override: boolean },
  ): void;
}

/** Sets `x-amz-content-sha256` to `value` on every request, or on those of command `only`. */
function payloadHash(value: string, only?: string): Parameters<BuildStack['add']>[0] {
  return (next, context) => async (args) => {
    const request = args.request as { headers?: Record<string, string> };
    if (request.headers && (!only || context.commandName === only)) request.headers['x-amz-content-sha256'] = value;
    return next(args);
  };
}

/** The PutObject signed with `sha256`, the SHA-256 of its body, which the SDK then need not compute. */
export function withPayloadHash(command: PutObjectCommand, sha256: string): PutObjectCommand {
  (command.middlewareStack as unknown as BuildStack).add(payloadHash(sha256), {
    step: 'build',
    name: 'evidencePayloadHash',
    override: true,
  });
  return command;
}

/** Makes the client sign multipart parts with `UNSIGNED-PAYLOAD` when the endpoint allows it. */
export function signPartsUnsignedWhereSafe(client: S3Client, endpoint: string | undefined): void {
  if (!unsignedPayloadAllowed(endpoint)) return;
  (client.middlewareStack as unknown as BuildStack).add(payloadHash(UNSIGNED_PAYLOAD, 'UploadPartCommand'), {
    step: 'build',
    name: 'evidenceUnsignedParts',
    override: true,
  });
}

/**
 * Whether parts may go with an unsigned payload: AWS S3 (HTTPS by default) or an HTTPS endpoint,
 * where TLS protects the bytes in transit, or a loopback endpoint, where nothing is in between.
 * Plain HTTP to another host (e.g. MinIO in a compose network) keeps signed payloads.
 */
export function unsignedPayloadAllowed(endpoint: string | undefined): boolean {
  if (!endpoint) return true;
  try {
    const url = new URL(endpoint);
    if (url.protocol === 'https:') return true;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}
