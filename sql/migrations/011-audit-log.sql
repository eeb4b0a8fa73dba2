-- Who changed what through the API, and how it ended. No foreign key to api_tokens: the
-- record must outlive the token, so the token's name and role are copied in.
create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  token_id uuid,
  token_name text,
  role text,
  method text not null,
  -- The route pattern ("/v1/hosts/:id"), null when no route matched.
  route text,
  path text not null,
  target_id text,
  status integer not null,
  request_id text
);

create index audit_log_at on audit_log (at);
create index audit_log_token on audit_log (token_id, id);
