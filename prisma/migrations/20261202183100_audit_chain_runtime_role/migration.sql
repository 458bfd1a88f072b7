-- Issue 15 item 11: the audit trail was append-only only for roles that do not own it, and the
-- app's role owned it (ALTER TABLE ... DISABLE TRIGGER USER; DELETE worked).
--
-- 1. A hash chain: each row carries the hash of the previous row and its own hash over the
--    previous hash and a canonical JSON of the row (every column but the two hashes, so a column
--    added later joins the hash by itself). `npm run cli -- audit verify` recomputes it and finds a
--    deleted or altered row; `audit_log_chain` holds the head, so a deleted last row shows too.
-- 2. A runtime role, `faceid_runtime` (NOLOGIN; the app's login role is made a member of it by
--    compose's init script or by `npm run db:migrate` with MIGRATION_DATABASE_URL), with only
--    INSERT and SELECT on audit_log and what it needs elsewhere. Migrations run as the owner.

ALTER TABLE "audit_log" ADD COLUMN "prev_hash" TEXT;
ALTER TABLE "audit_log" ADD COLUMN "hash" TEXT;

-- The chain's head: one row, updated only by the trigger below (SECURITY DEFINER), so concurrent
-- inserts serialise on its row lock and the runtime role needs no privilege on it.
CREATE TABLE "audit_log_chain" (
    "one" BOOLEAN PRIMARY KEY DEFAULT true CHECK ("one"),
    "last_id" BIGINT,
    "last_hash" TEXT
);
INSERT INTO "audit_log_chain" ("one") VALUES (true);

-- The canonical hash of a row: SHA-256 (hex) of the previous hash, a newline, and the row as
-- jsonb text without its two hash columns (jsonb sorts keys; timestamps rendered in UTC).
-- `audit verify` computes the same expression itself rather than calling this function.
CREATE FUNCTION "audit_log_row_hash"("prev" TEXT, "row" JSONB) RETURNS TEXT
    LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(coalesce("prev", '') || E'\n' || ("row" - 'hash' - 'prev_hash')::text, 'UTF8')), 'hex')
$$;

CREATE FUNCTION "audit_log_chain_insert"() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET "TimeZone" = 'UTC' AS $$
DECLARE
    prev TEXT;
BEGIN
    -- The head's row lock serialises writers until commit; the id is taken under it, so ids
    -- increase in chain order (a default taken before the lock could be overtaken).
    SELECT "last_hash" INTO prev FROM "audit_log_chain" FOR UPDATE;
    NEW."id" := nextval(pg_get_serial_sequence('audit_log', 'id'));
    NEW."prev_hash" := prev;
    NEW."hash" := "audit_log_row_hash"(prev, to_jsonb(NEW));
    UPDATE "audit_log_chain" SET "last_id" = NEW."id", "last_hash" = NEW."hash";
    RETURN NEW;
END;
$$;

-- Rows written before the chain existed are chained now, in id order (the owner may lift the
-- append-only trigger for this one migration).
ALTER TABLE "audit_log" DISABLE TRIGGER "audit_log_no_update_delete";
DO $$
DECLARE
    r RECORD;
    prev TEXT := NULL;
    h TEXT;
BEGIN
    SET LOCAL "TimeZone" = 'UTC';
    FOR r IN SELECT * FROM "audit_log" ORDER BY "id" LOOP
        h := "audit_log_row_hash"(prev, to_jsonb(r));
        UPDATE "audit_log" SET "prev_hash" = prev, "hash" = h WHERE "id" = r."id";
        UPDATE "audit_log_chain" SET "last_id" = r."id", "last_hash" = h;
        prev := h;
    END LOOP;
END;
$$;
ALTER TABLE "audit_log" ENABLE TRIGGER "audit_log_no_update_delete";

ALTER TABLE "audit_log" ALTER COLUMN "hash" SET NOT NULL;

CREATE TRIGGER "audit_log_chain" BEFORE INSERT ON "audit_log"
    FOR EACH ROW EXECUTE FUNCTION "audit_log_chain_insert"();

-- The runtime role. Creating it needs CREATEROLE; compose's init script creates it beforehand.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'faceid_runtime') THEN
        CREATE ROLE "faceid_runtime" NOLOGIN;
    END IF;
END;
$$;

GRANT USAGE ON SCHEMA public TO "faceid_runtime";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "faceid_runtime";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "faceid_runtime";
-- Tables and sequences later migrations create (as this same owner) get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "faceid_runtime";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "faceid_runtime";

-- The audit trail: read and append, nothing else; the chain head and migration history: nothing.
REVOKE ALL ON "audit_log" FROM "faceid_runtime";
GRANT SELECT, INSERT ON "audit_log" TO "faceid_runtime";
REVOKE ALL ON "audit_log_chain" FROM "faceid_runtime";
GRANT SELECT ON "audit_log_chain" TO "faceid_runtime";
REVOKE ALL ON "_prisma_migrations" FROM "faceid_runtime";
REVOKE ALL ON FUNCTION "audit_log_chain_insert"() FROM PUBLIC;
