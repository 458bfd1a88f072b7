-- Issue 15, item 4: junk must not grow the database without bound. Refused callbacks fold into
-- one row per address, verdict, reason and window (fold_key), with a count; denials in the
-- append-only audit_log are counted in audit_fold_counts and written only at the first and at
-- each power of ten.

-- AlterTable
ALTER TABLE "callback_events" ADD COLUMN "repeat_count" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN "last_seen_at" TIMESTAMPTZ(3),
ADD COLUMN "fold_key" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "callback_events_fold_key_key" ON "callback_events"("fold_key");

-- CreateTable
CREATE TABLE "audit_fold_counts" (
    "fold_key" TEXT NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_fold_counts_pkey" PRIMARY KEY ("fold_key")
);

-- CreateIndex
CREATE INDEX "audit_fold_counts_created_at_idx" ON "audit_fold_counts"("created_at");
