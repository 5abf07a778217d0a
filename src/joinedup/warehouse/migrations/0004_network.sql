-- joinedup warehouse: the network stage's tables (docs/network.md). Each `joinedup network` run
-- replaces their content (DELETE then INSERT); network_run keeps one row per run.

CREATE TABLE network_run (
    run_id VARCHAR NOT NULL, as_of DATE, started_at TIMESTAMP, finished_at TIMESTAMP,
    linkage BOOLEAN, link_run_id VARCHAR, n_persons BIGINT, n_edges BIGINT, n_groups BIGINT, settings VARCHAR
);

-- person_a < person_b; pivot names the shared phone / vehicle / address / alias (null for crime edges);
-- first/last_date: when the activity behind the edge happened; known_date: when the agencies first recorded it;
-- crimes: the 'source:crime id' of crimes behind a crime edge; n_sharing: people sharing the pair's least-shared
-- pivot (for missing_with: the people the name could be); provenance lists the 'source:source_record_id' of the records behind the edge.
CREATE TABLE network_edge (
    run_id VARCHAR NOT NULL, person_a VARCHAR NOT NULL, person_b VARCHAR NOT NULL, edge_type VARCHAR NOT NULL,
    weight DOUBLE NOT NULL, first_date DATE, last_date DATE, "pivot" VARCHAR, provenance VARCHAR[], n_sharing BIGINT,
    known_date DATE, crimes VARCHAR[]
);

CREATE TABLE network_group (
    run_id VARCHAR NOT NULL, as_of DATE, group_id VARCHAR NOT NULL, n_suspects BIGINT, n_victims BIGINT,
    n_associates BIGINT, first_seen DATE, last_seen DATE, first_detectable DATE, first_charged DATE,
    forces VARCHAR[], orgs VARCHAR[], offences VARCHAR[], priority DOUBLE, priority_reasons VARCHAR,
    provenance VARCHAR[]
);

CREATE TABLE network_member (
    run_id VARCHAR NOT NULL, group_id VARCHAR NOT NULL, person_id VARCHAR NOT NULL, role VARCHAR NOT NULL,
    first_seen DATE, last_seen DATE, evidence BIGINT, provenance VARCHAR[], reason VARCHAR,
    degree BIGINT, betweenness DOUBLE, other_groups BIGINT, key_role VARCHAR
);
