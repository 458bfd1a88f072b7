-- Evidence integrity (issue 18): each evidence row remembers its last whole-object check (and the
-- S3 ETag it matched, so ranged reads can be conditional on it) and any failed check, which marks
-- the order in the console, Needs attention and /metrics until the object is stored again.

-- AlterTable
-- (IF NOT EXISTS: this folder was first named 20261202173000_evidence_integrity on its branch.)
ALTER TABLE "evidence" ADD COLUMN IF NOT EXISTS "verified_at" TIMESTAMPTZ(3),
ADD COLUMN IF NOT EXISTS "verified_etag" TEXT,
ADD COLUMN IF NOT EXISTS "integrity_failed_at" TIMESTAMPTZ(3),
ADD COLUMN IF NOT EXISTS "integrity_problem" TEXT;

-- CreateIndex
CREATE INDEX IF NOT EXISTS "evidence_integrity_failed_at_idx" ON "evidence"("integrity_failed_at");

-- CreateIndex
CREATE INDEX IF NOT EXISTS "evidence_verified_at_idx" ON "evidence"("verified_at");
