-- Starting verifications (issue 19): the access_token is kept beside the SIGN ticket it fetched,
-- sealed, so a NONCE ticket can be taken with it; credential conflicts record WeBank refusing
-- credentials we obtained shortly before (the sign that another system refreshes the same WBappid).

-- AlterTable
ALTER TABLE "tickets" ADD COLUMN "token_sealed" TEXT,
ADD COLUMN "token_valid_until" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "credential_conflicts" (
    "id" BIGSERIAL NOT NULL,
    "app_id" TEXT NOT NULL,
    "refresh_obtained_at" TIMESTAMPTZ(3) NOT NULL,
    "detected_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "source" TEXT NOT NULL,
    "code" TEXT,

    CONSTRAINT "credential_conflicts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "credential_conflicts_app_id_refresh_obtained_at_key" ON "credential_conflicts"("app_id", "refresh_obtained_at");

-- CreateIndex
CREATE INDEX "credential_conflicts_app_id_detected_at_idx" ON "credential_conflicts"("app_id", "detected_at");
