-- What the API adds to hosts and credentials, and the change feed the supervisor follows.

-- A credential given inline with a host belongs to that host: it is deleted with the host
-- or when the host gets another credential. Stored credentials (POST /v1/credentials) stay.
alter table credentials add column inline boolean not null default false;

alter table hosts add column host_key_pinned_at timestamptz;

create index hosts_name_id on hosts (name, id);
create index hosts_credential on hosts (credential_id);

create function hosts_touch() returns trigger language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end
$$;

create trigger hosts_touch before update on hosts
  for each row when (old.* is distinct from new.*) execute function hosts_touch();

-- NOTIFY hostintel_hosts with the host id on every insert, real update and delete, so a
-- runner follows the table without polling. Delivered at commit; a transaction that
-- touches a host twice sends one notification.
create function hosts_notify() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    perform pg_notify('hostintel_hosts', old.id::text);
  else
    perform pg_notify('hostintel_hosts', new.id::text);
  end if;
  return null;
end
$$;

create trigger hosts_notify_insert_delete after insert or delete on hosts
  for each row execute function hosts_notify();
create trigger hosts_notify_update after update on hosts
  for each row when (old.* is distinct from new.*) execute function hosts_notify();
