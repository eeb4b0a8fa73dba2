-- Two indexes the fleet reads were missing, measured on 10,000 hosts × 1,500 packages
-- (npm run bench:api, bench:vuln).
--
-- 1. The source-package index (008) held every current package, including the binaries named
-- like their source (openssl from openssl: on Debian most source packages have one). A
-- question about X reads X's rows by name from host_facts_package_name, then again from this
-- index only to throw them away (`package_name is distinct from X`): for a package every host
-- has, 10,000 index entries read for nothing, twice the work of the answer. Only the binaries
-- named otherwise than their source (libssl3 from openssl) are in it now; queries by source
-- name take those from here and the one named like its source from the name index (their
-- condition `package_source <> package_name` is this index's predicate, as the planner needs).
drop index host_facts_package_source;
create index host_facts_package_source on host_facts (package_source, host_id)
  include (package_source_version, package_name, package_evr, package_manager, key,
    package_arch, package_version, package_release, valid_from)
  where kind = 'package' and valid_to is null and package_source <> package_name;

-- 2. The fleet summary reads each host's last facts probe. Metrics probes come every minute
-- and facts probes every hour: through intel_probes_host the lookup walks back over the metrics
-- probes since (tens of rows a host, each read from the table to see its type). Only facts
-- probes are in this one, so the metrics probes' inserts do not maintain it.
create index intel_probes_host_facts on intel_probes (host_id, started_at, id)
  where type = 'facts';
