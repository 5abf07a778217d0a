-- joinedup warehouse schema 1: the national data standard 1.0.0 and the ingest bookkeeping.
-- Column order follows src/joinedup/standard/entities.yaml; tests check they agree.
-- (source, source_record_id) is unique in every standard table. Ingest enforces it (repeats are
-- quarantined with a reason) instead of a PRIMARY KEY, whose index tripled load time and grows with
-- the country; tests/ingest checks uniqueness after loads.

CREATE TABLE person_record (
    source VARCHAR NOT NULL, source_record_id VARCHAR NOT NULL, agency_type VARCHAR NOT NULL,
    org_code VARCHAR NOT NULL, forename VARCHAR, middle_names VARCHAR, surname VARCHAR,
    aliases VARCHAR[], dob DATE, dob_precision VARCHAR, sex VARCHAR, address VARCHAR,
    postcode VARCHAR, phones VARCHAR[], vehicles VARCHAR[], nhs_number VARCHAR, upn VARCHAR,
    ethnicity_self VARCHAR, ethnicity_ons21 VARCHAR, ethnicity_observed VARCHAR, nationality VARCHAR,
    looked_after BOOLEAN, disability_sen VARCHAR, role VARCHAR NOT NULL,
    load_id VARCHAR NOT NULL, file VARCHAR NOT NULL, row_number BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL
);

CREATE TABLE event (
    source VARCHAR NOT NULL, source_record_id VARCHAR NOT NULL, person_record_id VARCHAR NOT NULL,
    org_code VARCHAR NOT NULL, event_type VARCHAR NOT NULL, start_date DATE NOT NULL, end_date DATE,
    codes VARCHAR[], location VARCHAR, with_whom VARCHAR, referral_source VARCHAR, detail VARCHAR,
    load_id VARCHAR NOT NULL, file VARCHAR NOT NULL, row_number BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL
);

CREATE TABLE crime (
    source VARCHAR NOT NULL, source_record_id VARCHAR NOT NULL, org_code VARCHAR NOT NULL,
    offence_code VARCHAR NOT NULL, cse_flag BOOLEAN, date_committed DATE, date_reported DATE NOT NULL,
    location_postcode VARCHAR,
    load_id VARCHAR NOT NULL, file VARCHAR NOT NULL, row_number BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL
);

CREATE TABLE crime_person (
    source VARCHAR NOT NULL, source_record_id VARCHAR NOT NULL, crime_record_id VARCHAR NOT NULL,
    person_record_id VARCHAR NOT NULL, role VARCHAR NOT NULL,
    load_id VARCHAR NOT NULL, file VARCHAR NOT NULL, row_number BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL
);

CREATE TABLE outcome (
    source VARCHAR NOT NULL, source_record_id VARCHAR NOT NULL, crime_record_id VARCHAR NOT NULL,
    person_record_id VARCHAR NOT NULL, outcome_type VARCHAR NOT NULL, outcome_date DATE,
    charged_offence VARCHAR, court_result VARCHAR,
    load_id VARCHAR NOT NULL, file VARCHAR NOT NULL, row_number BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL
);

-- One row per ingest run.
CREATE TABLE load_batch (
    load_id VARCHAR PRIMARY KEY, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
    extracts_dir VARCHAR NOT NULL, standard_version VARCHAR NOT NULL,
    files_loaded INTEGER, files_skipped INTEGER,
    rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, field_issues BIGINT
);

-- One row per file loaded; sha256 makes a re-ingest of the same bytes a no-op.
CREATE TABLE load_file (
    load_id VARCHAR NOT NULL, source VARCHAR NOT NULL, file VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
    bytes BIGINT NOT NULL, system VARCHAR NOT NULL, table_name VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL, rows_loaded BIGINT NOT NULL, rows_quarantined BIGINT NOT NULL,
    PRIMARY KEY (sha256, table_name)
);

-- Rows that could not be loaded, with the first failing field and every reason.
CREATE TABLE quarantine (
    load_id VARCHAR NOT NULL, source VARCHAR NOT NULL, file VARCHAR NOT NULL, row_number BIGINT NOT NULL,
    table_name VARCHAR NOT NULL, source_record_id VARCHAR, field VARCHAR, reason VARCHAR NOT NULL,
    raw VARCHAR, quarantined_at TIMESTAMP NOT NULL
);

-- Loaded rows where one field was cleared (e.g. a postcode that does not parse).
CREATE TABLE field_issue (
    load_id VARCHAR NOT NULL, source VARCHAR NOT NULL, file VARCHAR NOT NULL, row_number BIGINT NOT NULL,
    table_name VARCHAR NOT NULL, source_record_id VARCHAR, field VARCHAR NOT NULL, value VARCHAR,
    reason VARCHAR NOT NULL
);
