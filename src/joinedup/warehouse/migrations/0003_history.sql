-- joinedup warehouse schema 3: deliveries over time, with history (issue 9).
-- The standard tables keep their names and hold the current state. A version that a later delivery
-- changed or withdrew moves to <table>_history with the dates it was valid (extract dates:
-- valid_from inclusive, valid_to exclusive). <table>_version is every version: the current rows
-- (valid from their file's delivered date, valid_to NULL) and the history. Keeping the current
-- versions only once, in the standard table, costs a first ingest nothing.

-- The extract date of a delivery (NULL when none was given: the delivered date is then the load's
-- date, coalesce(extract_date, CAST(started_at AS DATE))). A batch of several dates records the latest.
ALTER TABLE load_batch ADD COLUMN extract_date DATE;
ALTER TABLE load_file ADD COLUMN extract_date DATE;
-- Rows a delivery applied, by kind (rows_loaded = new + changed + unchanged + deleted).
ALTER TABLE load_file ADD COLUMN rows_new BIGINT;
ALTER TABLE load_file ADD COLUMN rows_changed BIGINT;
ALTER TABLE load_file ADD COLUMN rows_unchanged BIGINT;
ALTER TABLE load_file ADD COLUMN rows_deleted BIGINT;
ALTER TABLE load_file ADD COLUMN rows_skipped BIGINT;
ALTER TABLE load_batch ADD COLUMN rows_skipped BIGINT;
ALTER TABLE load_batch ADD COLUMN records_withdrawn BIGINT;

-- A person-level exploitation concern flag, as the agency recorded it (issue 9, B9). The table is
-- rebuilt so the column sits with the standard's fields, before the provenance columns.
CREATE TABLE person_record_v3 (
    source VARCHAR NOT NULL, source_record_id VARCHAR NOT NULL, agency_type VARCHAR NOT NULL,
    org_code VARCHAR NOT NULL, forename VARCHAR, middle_names VARCHAR, surname VARCHAR,
    aliases VARCHAR[], dob DATE, dob_precision VARCHAR, sex VARCHAR, address VARCHAR,
    postcode VARCHAR, phones VARCHAR[], vehicles VARCHAR[], nhs_number VARCHAR, upn VARCHAR,
    ethnicity_self VARCHAR, ethnicity_ons21 VARCHAR, ethnicity_observed VARCHAR, nationality VARCHAR,
    looked_after BOOLEAN, disability_sen VARCHAR, role VARCHAR NOT NULL, cse_concern BOOLEAN,
    load_id VARCHAR NOT NULL, file VARCHAR NOT NULL, row_number BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL
);
INSERT INTO person_record_v3 BY NAME SELECT * FROM person_record;
DROP TABLE person_record;
ALTER TABLE person_record_v3 RENAME TO person_record;

-- The date a crime was reported is a police date; other agencies' crimes may not have one (B10).
ALTER TABLE crime ALTER COLUMN date_reported DROP NOT NULL;

CREATE TABLE person_record_history AS SELECT *, CAST(NULL AS DATE) AS valid_from, CAST(NULL AS DATE) AS valid_to FROM person_record WITH NO DATA;
CREATE VIEW person_record_version AS
    SELECT t.*, coalesce(f.extract_date, CAST(b.started_at AS DATE)) AS valid_from, CAST(NULL AS DATE) AS valid_to
    FROM person_record t
    LEFT JOIN load_file f ON f.load_id = t.load_id AND f.file = t.file AND f.table_name = 'person_record'
    LEFT JOIN load_batch b ON b.load_id = t.load_id
    UNION ALL BY NAME SELECT * FROM person_record_history;

CREATE TABLE event_history AS SELECT *, CAST(NULL AS DATE) AS valid_from, CAST(NULL AS DATE) AS valid_to FROM event WITH NO DATA;
CREATE VIEW event_version AS
    SELECT t.*, coalesce(f.extract_date, CAST(b.started_at AS DATE)) AS valid_from, CAST(NULL AS DATE) AS valid_to
    FROM event t
    LEFT JOIN load_file f ON f.load_id = t.load_id AND f.file = t.file AND f.table_name = 'event'
    LEFT JOIN load_batch b ON b.load_id = t.load_id
    UNION ALL BY NAME SELECT * FROM event_history;

CREATE TABLE crime_history AS SELECT *, CAST(NULL AS DATE) AS valid_from, CAST(NULL AS DATE) AS valid_to FROM crime WITH NO DATA;
CREATE VIEW crime_version AS
    SELECT t.*, coalesce(f.extract_date, CAST(b.started_at AS DATE)) AS valid_from, CAST(NULL AS DATE) AS valid_to
    FROM crime t
    LEFT JOIN load_file f ON f.load_id = t.load_id AND f.file = t.file AND f.table_name = 'crime'
    LEFT JOIN load_batch b ON b.load_id = t.load_id
    UNION ALL BY NAME SELECT * FROM crime_history;

CREATE TABLE crime_person_history AS SELECT *, CAST(NULL AS DATE) AS valid_from, CAST(NULL AS DATE) AS valid_to FROM crime_person WITH NO DATA;
CREATE VIEW crime_person_version AS
    SELECT t.*, coalesce(f.extract_date, CAST(b.started_at AS DATE)) AS valid_from, CAST(NULL AS DATE) AS valid_to
    FROM crime_person t
    LEFT JOIN load_file f ON f.load_id = t.load_id AND f.file = t.file AND f.table_name = 'crime_person'
    LEFT JOIN load_batch b ON b.load_id = t.load_id
    UNION ALL BY NAME SELECT * FROM crime_person_history;

CREATE TABLE outcome_history AS SELECT *, CAST(NULL AS DATE) AS valid_from, CAST(NULL AS DATE) AS valid_to FROM outcome WITH NO DATA;
CREATE VIEW outcome_version AS
    SELECT t.*, coalesce(f.extract_date, CAST(b.started_at AS DATE)) AS valid_from, CAST(NULL AS DATE) AS valid_to
    FROM outcome t
    LEFT JOIN load_file f ON f.load_id = t.load_id AND f.file = t.file AND f.table_name = 'outcome'
    LEFT JOIN load_batch b ON b.load_id = t.load_id
    UNION ALL BY NAME SELECT * FROM outcome_history;
