-- EXPLAIN ANALYZE of the console search SQL (as Prisma writes it, keyset form `t <= T AND (t < T OR id < I)`).
-- psql "$DATABASE_URL" -f test/console/bench/explain.sql   (scratch database seeded by search-bench.ts --seed)
\echo Q1 latest page
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT id, app_id, order_no, status, result_code, created_at FROM orders ORDER BY created_at DESC, id DESC LIMIT 51;
\echo Q2 orderNo exact
EXPLAIN (ANALYZE, COSTS OFF) SELECT id, app_id, order_no, status, result_code, created_at FROM orders WHERE order_no = 'ORD0000500000' || substr(md5('500000'),1,6) ORDER BY created_at DESC, id DESC LIMIT 51;
\echo Q3 status rare
EXPLAIN (ANALYZE, COSTS OFF) SELECT id, app_id, order_no, status, result_code, created_at FROM orders WHERE status = 'EVIDENCE_MISSING' ORDER BY created_at DESC, id DESC LIMIT 51;
\echo Q4 resultCode
EXPLAIN (ANALYZE, COSTS OFF) SELECT id, app_id, order_no, status, result_code, created_at FROM orders WHERE result_code = '66660011' ORDER BY created_at DESC, id DESC LIMIT 51;
\echo Q5 app + month
EXPLAIN (ANALYZE, COSTS OFF) SELECT id, app_id, order_no, status, result_code, created_at FROM orders WHERE app_id = 'TIDA0002' AND created_at >= now() - interval '200 days' AND created_at < now() - interval '170 days' ORDER BY created_at DESC, id DESC LIMIT 51;
\echo Q6 status rare + app + month
EXPLAIN (ANALYZE, COSTS OFF) SELECT id, app_id, order_no, status, result_code, created_at FROM orders WHERE status = 'FAILED' AND app_id = 'TIDA0003' AND created_at >= now() - interval '200 days' AND created_at < now() - interval '170 days' ORDER BY created_at DESC, id DESC LIMIT 51;
\echo Q7 keyset deep page (cursor ~300 days ago)
EXPLAIN (ANALYZE, COSTS OFF) SELECT id, app_id, order_no, status, result_code, created_at FROM orders WHERE created_at <= now() - interval '300 days' AND (created_at < now() - interval '300 days' OR (created_at = now() - interval '300 days' AND id < 'ffffffff-0000-0000-0000-000000000000')) ORDER BY created_at DESC, id DESC LIMIT 51;
\echo Q8 resultCode rare + one day
EXPLAIN (ANALYZE, COSTS OFF) SELECT id, app_id, order_no, status, result_code, created_at FROM orders WHERE result_code = '66660011' AND created_at >= now() - interval '101 days' AND created_at < now() - interval '100 days' ORDER BY created_at DESC, id DESC LIMIT 51;
\echo Q9 status rare, keyset page 20 deep
EXPLAIN (ANALYZE, COSTS OFF) SELECT id, app_id, order_no, status, result_code, created_at FROM orders WHERE status = 'EVIDENCE_MISSING' AND created_at <= now() - interval '250 days' AND (created_at < now() - interval '250 days' OR (created_at = now() - interval '250 days' AND id < 'ffffffff-0000-0000-0000-000000000000')) ORDER BY created_at DESC, id DESC LIMIT 51;
\echo Q10 status with no rows (PURGED)
EXPLAIN (ANALYZE, COSTS OFF) SELECT id, app_id, order_no, status, result_code, created_at FROM orders WHERE status = 'PURGED' ORDER BY created_at DESC, id DESC LIMIT 51;
\echo Q11 resultCode unknown
EXPLAIN (ANALYZE, COSTS OFF) SELECT id, app_id, order_no, status, result_code, created_at FROM orders WHERE result_code = '66660099' ORDER BY created_at DESC, id DESC LIMIT 51;
\echo Q12 orderNo + app
EXPLAIN (ANALYZE, COSTS OFF) SELECT id, app_id, order_no, status, result_code, created_at FROM orders WHERE order_no = 'ORD0000500000' || substr(md5('500000'),1,6) AND app_id = 'TIDA0001' ORDER BY created_at DESC, id DESC LIMIT 51;
