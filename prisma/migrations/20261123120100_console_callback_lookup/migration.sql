-- CreateIndex
CREATE INDEX "callback_events_app_id_order_no_idx" ON "callback_events"("app_id", "order_no");
