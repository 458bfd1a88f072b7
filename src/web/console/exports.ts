import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { exportNotConfigured, loadSigner, writeExportPackage } from '../../shared/compliance/export-package';
import { orderRef } from '../../shared/compliance/order-record';
import { componentLogger } from '../../shared/platform/logger';
import { requirePurpose } from './purpose';
import { audit, audited, auditContext, loadOrderFor, staffOf, type ConsoleRouters, type RouteDeps } from './deps';

const log = componentLogger('console');

/** Signed evidence packages: `POST /api/orders/:id/export` (also the order page's export form). */
export function exportRoutes(deps: RouteDeps, { api }: ConsoleRouters): void {
  api.post(
    '/orders/:id/export',
    deps.auth.requireStaff('auditor', { action: 'export' }),
    audited(deps, 'export', (req, res) => sendExport(deps, req, res)),
  );
}

/** Builds the package in a temporary file (so a failed integrity check can still answer 409), then sends it. */
async function sendExport(deps: RouteDeps, req: Request, res: Response): Promise<void> {
  const record = await loadOrderFor(deps, req, res);
  const signer = loadSigner(deps.cfg);
  if (!signer) throw exportNotConfigured();
  const staff = staffOf(res);
  const purpose = requirePurpose((req.body as { purpose?: unknown } | undefined)?.purpose);
  const file = path.join(tmpdir(), `faceid-export-${randomBytes(8).toString('hex')}.zip`);
  try {
    const { manifest, sha256, bytes } = await writeExportPackage(deps, record, {
      exportedBy: staff.actor,
      outPath: file,
      signer,
      ctx: auditContext(req, res),
      // Set by the order page's confirm step (or an API client that means it).
      acceptIncomplete: ['1', 'true', true].includes(
        (req.body as { acceptIncomplete?: unknown } | undefined)?.acceptIncomplete as string,
      ),
      purpose,
    });
    await audit(deps, req, res, {
      action: 'export',
      outcome: 'success',
      order: orderRef(record),
      detail: {
        packageSha256: sha256,
        bytes,
        files: manifest.files.map((f) => ({ kind: f.kind, sha256: f.sha256 })),
        signingKey: signer.fingerprint,
        complete: manifest.completeness?.complete ?? false,
        purpose,
      },
    });
    res.status(200).set({
      'Content-Type': 'application/zip',
      'Content-Length': String(bytes),
      'Content-Disposition': `attachment; filename="evidence-${record.orderNo}.zip"`,
      'Cache-Control': 'private, no-store',
      'X-Package-SHA256': sha256,
      'X-Signing-Key-SHA256': signer.fingerprint,
    });
    await pipeline(createReadStream(file), res).catch((err: Error) =>
      log.warn('export download ended early', { error: err.message }),
    );
  } finally {
    await rm(file, { force: true });
  }
}
