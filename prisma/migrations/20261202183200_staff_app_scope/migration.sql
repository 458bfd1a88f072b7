-- Staff accounts scoped to apps (issue 15 item 15): the configured app keys a member of staff
-- may see; empty = every app (the default, as before scopes existed).
ALTER TABLE "staff_users" ADD COLUMN "app_keys" TEXT[] NOT NULL DEFAULT '{}';
