-- Evidence integrity (issue 18): each evidence row remembers its last whole-object check (and the
-- S3 ETag it matched, so ranged reads can be conditional on it) and any failed check, which marks
-- the order in the console, Needs attention and /metrics until the object is stored again.

-- AlterTable
ALTER TABLE "evidence" ADD COLUMN "verified_at" TIMESTAMPTZ(3),
ADD COLUMN "verified_etag" TEXT,
ADD COLUMN "integrity_failed_at" TIMESTAMPTZ(3),
ADD COLUMN "integrity_problem" TEXT;

-- CreateIndex
CREATE INDEX "evidence_integrity_failed_at_idx" ON "evidence"("integrity_failed_at");

-- CreateIndex
CREATE INDEX "evidence_verified_at_idx" ON "evidence"("verified_at");
