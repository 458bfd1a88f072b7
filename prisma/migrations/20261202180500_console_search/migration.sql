-- Staff console search box: user reference, bizSeqNo and h5faceId are looked up exactly.
CREATE INDEX IF NOT EXISTS "orders_user_ref_idx" ON "orders"("user_ref");
CREATE INDEX IF NOT EXISTS "orders_biz_seq_no_idx" ON "orders"("biz_seq_no");
CREATE INDEX IF NOT EXISTS "orders_h5face_id_idx" ON "orders"("h5face_id");
-- Callback attempts view: newest first, and by order number across apps (forgeries of unknown orders).
CREATE INDEX IF NOT EXISTS "callback_events_created_at_idx" ON "callback_events"("created_at");
CREATE INDEX IF NOT EXISTS "callback_events_order_no_idx" ON "callback_events"("order_no");
