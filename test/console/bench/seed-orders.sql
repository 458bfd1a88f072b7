-- One million orders over the last year: 3 apps, realistic status and result-code mix.
-- Used by search-bench.ts on a scratch database only (never the test database).
INSERT INTO orders (id, app_id, order_no, product, status, source, result_code, created_at, updated_at, verified_at, live_rate, similarity, biz_seq_no)
SELECT gen_random_uuid(),
  (ARRAY['TIDA0001','TIDA0002','TIDA0003'])[1 + (i % 3)],
  'ORD' || lpad(i::text, 10, '0') || substr(md5(i::text), 1, 6),
  'faceid',
  (CASE WHEN r < 0.86 THEN 'ARCHIVED' WHEN r < 0.93 THEN 'NO_RESULT' WHEN r < 0.96 THEN 'EXPIRED' WHEN r < 0.975 THEN 'EVIDENCE_PENDING'
        WHEN r < 0.985 THEN 'EVIDENCE_MISSING' WHEN r < 0.995 THEN 'FAILED' ELSE 'QUEUED' END)::"OrderStatus",
  'CALLBACK',
  CASE WHEN r2 < 0.8 THEN '0' WHEN r2 < 0.9 THEN '66660015' WHEN r2 < 0.97 THEN '66660016' ELSE '66660011' END,
  ts, ts, ts, '99.8', '92.1', 'biz' || i
FROM (SELECT i, random() r, random() r2, now() - (random() * interval '365 days') ts FROM generate_series(1, 1000000) i) s;
ANALYZE orders;
