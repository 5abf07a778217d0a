-- joinedup warehouse schema 2: linkage's tables (written by `joinedup link`).
-- IF NOT EXISTS: warehouses linked before this migration already hold these tables, with these columns.
-- A full run replaces the rows of link_person, link_pair, link_record and link_tf_* (DELETE, then INSERT);
-- an incremental run adds rows. link_run and link_model keep one row per run.

CREATE TABLE IF NOT EXISTS link_run (
    run_id VARCHAR PRIMARY KEY, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, mode VARCHAR, engine VARCHAR,
    threshold DOUBLE, records BIGINT, new_records BIGINT, persons BIGINT, links BIGINT, seconds DOUBLE,
    timings VARCHAR
);

-- the trained Splink settings (m and u) of each full run: match and incremental runs score with the newest
CREATE TABLE IF NOT EXISTS link_model (run_id VARCHAR PRIMARY KEY, created_at TIMESTAMPTZ, settings_json VARCHAR);

-- every person_record gets a person_id; other stages join on (source, source_record_id)
CREATE TABLE IF NOT EXISTS link_person (
    source VARCHAR, source_record_id VARCHAR, person_id VARCHAR, cluster_size BIGINT, match_probability DOUBLE,
    run_id VARCHAR
);
-- match finds a candidate's person by its record id
CREATE INDEX IF NOT EXISTS ix_link_person_rid ON link_person(source_record_id);

-- scored candidate pairs (at or above 0.5), with each comparison's level and weight as JSON
CREATE TABLE IF NOT EXISTS link_pair (
    source_l VARCHAR, source_record_id_l VARCHAR, source_r VARCHAR, source_record_id_r VARCHAR,
    match_probability DOUBLE, match_weight DOUBLE, linked BOOLEAN, explanation VARCHAR, run_id VARCHAR
);

-- the comparison-ready records (link/features.py): what match and incremental runs search; fields_hash is a hash
-- of the record's linkage fields in person_record, so a later run finds the records that changed
CREATE TABLE IF NOT EXISTS link_record (
    unique_id VARCHAR, source VARCHAR, source_record_id VARCHAR, forename VARCHAR, surname VARCHAR,
    middle_names VARCHAR, fore_groups VARCHAR[], sur_groups VARCHAR[], fore_dm VARCHAR[], sur_dm VARCHAR[],
    sur_tokens VARCHAR[], alias_tokens VARCHAR[], fore_key VARCHAR, sur_key VARCHAR, fore_dm1 VARCHAR,
    sur_dm1 VARCHAR, dob VARCHAR, dob_ym VARCHAR, dob_year VARCHAR, dob_swap_key VARCHAR, dob_unparsed BOOLEAN,
    sex VARCHAR, postcode VARCHAR, postcode_sector VARCHAR, postcode_district VARCHAR, address VARCHAR,
    address_tokens VARCHAR[], address_key VARCHAR, phones VARCHAR[], phone1 VARCHAR, nhs_number VARCHAR,
    run_id VARCHAR, fields_hash UBIGINT
);
-- a warehouse linked before fields_hash existed: its records count as changed once, then are current
ALTER TABLE link_record ADD COLUMN IF NOT EXISTS fields_hash UBIGINT;

-- term frequencies of names over link_record (Splink's tf columns are relative frequencies)
CREATE TABLE IF NOT EXISTS link_tf_forename (forename VARCHAR, tf_forename DOUBLE);
CREATE TABLE IF NOT EXISTS link_tf_surname (surname VARCHAR, tf_surname DOUBLE);
