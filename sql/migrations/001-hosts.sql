-- Hosts to probe and the credentials to reach them. Secrets are AES-256-GCM ciphertext
-- (sql never sees a plaintext secret; the key lives outside the database).

create table credentials (
  id uuid primary key default gen_random_uuid(),
  name text,
  type text not null check (type in ('privateKey', 'password', 'agent')),
  -- iv (12 bytes) || auth tag (16 bytes) || ciphertext of the JSON secret; null for agent.
  secret bytea,
  created_at timestamptz not null default now()
);

create table hosts (
  id uuid primary key default gen_random_uuid(),
  name text not null unique check (length(name) between 1 and 253),
  address text not null check (length(address) between 1 and 253),
  port integer not null default 22 check (port between 1 and 65535),
  username text not null check (length(username) between 1 and 64),
  credential_id uuid references credentials (id) on delete restrict,
  host_key_policy text not null default 'accept-new'
    check (host_key_policy in ('strict', 'accept-new', 'off')),
  -- The pinned host key, "ssh-ed25519 AAAA…", set on first contact (accept-new) or by hand.
  host_key text,
  jump_host text,
  sudo boolean not null default false,
  labels jsonb not null default '{}'::jsonb check (jsonb_typeof(labels) = 'object'),
  groups text[] not null default '{}',
  enabled boolean not null default true,
  facts_interval_s integer check (facts_interval_s >= 10),
  metrics_interval_s integer check (metrics_interval_s >= 5),
  disabled_collectors text[] not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index hosts_labels on hosts using gin (labels);
create index hosts_groups on hosts using gin (groups);
