#!/bin/sh
# Runs once, when the postgres volume is first initialised (docker-entrypoint-initdb.d), as the
# superuser. Creates the three roles the service uses (issue 15 item 11):
#   faceid_owner    owns the database and its tables; only the migrate service logs in as it
#   faceid_runtime  NOLOGIN; holds the runtime's privileges, granted by the migrations
#                   (SELECT and INSERT only on audit_log)
#   faceid_app      the web's and workers' login role, a member of faceid_runtime; owns nothing,
#                   so it cannot disable the audit trail's triggers
# The superuser's password (POSTGRES_PASSWORD) is used by nothing else.
set -eu
: "${POSTGRES_OWNER_PASSWORD:?}" "${POSTGRES_APP_PASSWORD:?}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_pw="$POSTGRES_OWNER_PASSWORD" -v app_pw="$POSTGRES_APP_PASSWORD" <<'SQL'
CREATE ROLE faceid_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE faceid_runtime NOLOGIN;
CREATE ROLE faceid_app LOGIN PASSWORD :'app_pw' IN ROLE faceid_runtime;
ALTER DATABASE faceid OWNER TO faceid_owner;
ALTER SCHEMA public OWNER TO faceid_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
