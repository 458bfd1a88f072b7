-- Staff tokens expire, and every token records who issued it (issue 15 item 12): an admin could
-- mint a never-expiring token for another user, whose actions were then audited as that user.
ALTER TABLE "api_tokens" ADD COLUMN "issued_by" TEXT;
ALTER TABLE "api_tokens" ADD COLUMN "expires_at" TIMESTAMPTZ(3);

-- Staff tokens issued before this migration never expired: they get 30 days from now, so
-- automation keeps working while their owners replace them.
UPDATE "api_tokens" SET "expires_at" = now() + interval '30 days'
 WHERE "kind" = 'staff' AND "expires_at" IS NULL AND "revoked_at" IS NULL;

ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_staff_expire"
    CHECK ("kind" <> 'staff' OR "expires_at" IS NOT NULL OR "revoked_at" IS NOT NULL);
