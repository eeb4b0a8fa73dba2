#!/bin/sh
# Run once by the timescale/timescaledb image when its database is first created (mounted into
# /docker-entrypoint-initdb.d by deploy/compose.yaml): a login role for Grafana that can only
# read. Grafana runs whatever SQL a dashboard editor types, so it must not connect as the owner.
# hostintel's migrations create the tables later, as POSTGRES_USER: default privileges make
# every table that role creates readable by grafana_reader.
set -eu
: "${GRAFANA_DB_PASSWORD:?GRAFANA_DB_PASSWORD is not set}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=password="$GRAFANA_DB_PASSWORD" <<'SQL'
create role grafana_reader login password :'password';
alter role grafana_reader set default_transaction_read_only = on;
alter role grafana_reader set statement_timeout = '30s';
grant connect on database :"DBNAME" to grafana_reader;
grant usage on schema public to grafana_reader;
alter default privileges for role current_user in schema public
  grant select on tables to grafana_reader;
SQL
