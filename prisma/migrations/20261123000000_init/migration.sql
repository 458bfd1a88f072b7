-- CreateEnum
CREATE TYPE "OrderStatus" AS ENUM ('EXPECTED', 'QUEUED', 'ARCHIVING', 'EVIDENCE_PENDING', 'ARCHIVED', 'NO_RESULT', 'EVIDENCE_MISSING', 'FAILED', 'EXPIRED', 'PURGED');

-- CreateEnum
CREATE TYPE "OrderSource" AS ENUM ('CALLBACK', 'APP_SDK', 'RECOVERY', 'REGISTRATION');

-- CreateTable
CREATE TABLE "orders" (
    "id" UUID NOT NULL,
    "app_id" TEXT NOT NULL,
    "order_no" TEXT NOT NULL,
    "product" TEXT NOT NULL DEFAULT 'faceid',
    "status" "OrderStatus" NOT NULL,
    "source" "OrderSource" NOT NULL,
    "callback_code" TEXT,
    "h5face_id" TEXT,
    "verified_at" TIMESTAMPTZ(3),
    "enqueue_pending" BOOLEAN NOT NULL DEFAULT false,
    "enqueued_at" TIMESTAMPTZ(3),
    "result_code" TEXT,
    "result_msg" TEXT,
    "biz_seq_no" TEXT,
    "live_rate" TEXT,
    "similarity" TEXT,
    "occurred_time" TEXT,
    "id_type" TEXT,
    "id_no_sealed" TEXT,
    "name_sealed" TEXT,
    "details" JSONB,
    "pii_sealed" TEXT,
    "last_error" TEXT,
    "archive_attempts" INTEGER NOT NULL DEFAULT 0,
    "archived_at" TIMESTAMPTZ(3),
    "user_ref" TEXT,
    "started_at" TIMESTAMPTZ(3),
    "next_sweep_at" TIMESTAMPTZ(3),
    "sweep_count" INTEGER NOT NULL DEFAULT 0,
    "recovered_at" TIMESTAMPTZ(3),
    "purged_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "orders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "callback_events" (
    "id" BIGSERIAL NOT NULL,
    "order_id" UUID,
    "channel" TEXT NOT NULL,
    "app_id" TEXT,
    "order_no" TEXT,
    "code" TEXT,
    "verdict" TEXT NOT NULL,
    "reason" TEXT,
    "ticket_matched" TEXT,
    "params" JSONB NOT NULL,
    "client_ip" TEXT,
    "user_agent" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "callback_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "order_events" (
    "id" BIGSERIAL NOT NULL,
    "order_id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "detail" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tickets" (
    "id" BIGSERIAL NOT NULL,
    "app_id" TEXT NOT NULL,
    "value_sealed" TEXT NOT NULL,
    "value_hash" TEXT NOT NULL,
    "obtained_at" TIMESTAMPTZ(3) NOT NULL,
    "valid_until" TIMESTAMPTZ(3) NOT NULL,
    "superseded_at" TIMESTAMPTZ(3),

    CONSTRAINT "tickets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "evidence" (
    "id" BIGSERIAL NOT NULL,
    "order_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "stored_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "evidence_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "orders_status_updated_at_idx" ON "orders"("status", "updated_at");

-- CreateIndex
CREATE INDEX "orders_created_at_idx" ON "orders"("created_at");

-- CreateIndex
CREATE INDEX "orders_enqueue_pending_created_at_idx" ON "orders"("enqueue_pending", "created_at");

-- CreateIndex
CREATE INDEX "orders_next_sweep_at_idx" ON "orders"("next_sweep_at");

-- CreateIndex
CREATE UNIQUE INDEX "orders_app_id_order_no_key" ON "orders"("app_id", "order_no");

-- CreateIndex
CREATE INDEX "callback_events_order_id_idx" ON "callback_events"("order_id");

-- CreateIndex
CREATE INDEX "callback_events_verdict_created_at_idx" ON "callback_events"("verdict", "created_at");

-- CreateIndex
CREATE INDEX "order_events_order_id_created_at_idx" ON "order_events"("order_id", "created_at");

-- CreateIndex
CREATE INDEX "tickets_app_id_obtained_at_idx" ON "tickets"("app_id", "obtained_at");

-- CreateIndex
CREATE UNIQUE INDEX "evidence_order_id_kind_key" ON "evidence"("order_id", "kind");

-- AddForeignKey
ALTER TABLE "callback_events" ADD CONSTRAINT "callback_events_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order_events" ADD CONSTRAINT "order_events_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "evidence" ADD CONSTRAINT "evidence_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;
