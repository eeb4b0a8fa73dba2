-- API bearer tokens. Only the SHA-256 of a token is stored: a token is 32 random bytes, so
-- no hash speed makes guessing it feasible, and an unsalted digest lets a request find its
-- token through the unique index instead of comparing against every row.
create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 100),
  role text not null check (role in ('viewer', 'operator', 'admin')),
  token_hash bytea not null unique check (length(token_hash) = 32),
  -- The admin token set by HOSTINTEL_ADMIN_TOKEN or generated on first start.
  bootstrap boolean not null default false,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

-- At most one bootstrap token, so two processes starting at once cannot both create one.
create unique index api_tokens_one_bootstrap on api_tokens (bootstrap) where bootstrap;
create index api_tokens_created on api_tokens (created_at, id);
