import type { Prisma } from '../../generated/prisma/client';
import { fromStatus, target } from './lifecycle';
import type { Db } from '../platform/db';

/**
 * The writes a verification start makes to its (EXPECTED) order, each with its timeline line in
 * the same transaction: what WeBank granted and the identity sealed, and the end of a start that
 * failed before the user could have seen the scan page (so the sweeper does not chase it).
 */

/** A line on the order's timeline for one step of the start (`start_*`), with WeBank's code. */
export async function addStartStep(db: Db, orderId: string, type: string, detail: Prisma.InputJsonValue) {
  await db.orderEvent.create({ data: { orderId, type, detail } });
}

/**
 * WeBank granted the h5faceId (or faceId): it goes on the order with the claimed identity,
 * already sealed by the caller (null when PII_STORAGE=drop or none was given).
 */
export async function recordGrantedFaceId(
  db: Db,
  orderId: string,
  granted: { h5faceId: string; idNoSealed: string | null; nameSealed: string | null },
  event: { type: string; detail: Prisma.InputJsonValue },
): Promise<void> {
  await db.$transaction([
    db.order.updateMany({
      where: { id: orderId, status: 'EXPECTED' },
      data: {
        h5faceId: granted.h5faceId,
        ...(granted.idNoSealed !== null && { idNoSealed: granted.idNoSealed }),
        ...(granted.nameSealed !== null && { nameSealed: granted.nameSealed }),
      },
    }),
    db.orderEvent.create({ data: { orderId, type: event.type, detail: event.detail } }),
  ]);
}

/**
 * The start failed before any URL or SDK parameters were handed out: no user can reach WeBank
 * with this order, so it ends FAILED (terminal) instead of waiting three days for the sweeper.
 */
export async function markStartFailed(
  db: Db,
  orderId: string,
  lastError: string,
  detail: Prisma.InputJsonValue,
): Promise<void> {
  await db.$transaction([
    db.order.updateMany({
      where: { id: orderId, status: fromStatus('startFailed') },
      data: { status: target('startFailed', 'FAILED'), nextSweepAt: null, lastError: lastError.slice(0, 500) },
    }),
    db.orderEvent.create({ data: { orderId, type: 'start_failed', detail } }),
  ]);
}
