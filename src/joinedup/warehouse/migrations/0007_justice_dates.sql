-- joinedup warehouse schema 7: the national data standard 1.1.0 (issue 12: a date for every justice stage).
-- Three optional dates: crime_person.date_identified (when the person was linked to the crime: for a
-- suspect, suspect identified), outcome.first_hearing_date (prosecution began) and
-- outcome.court_result_date (verdict or discontinuance). The tables are rebuilt so the new columns sit
-- with the standard's fields, before the provenance columns, and their history tables and version views
-- follow. justice_attrition gains the median days between consecutive stages, with the number of crimes
-- each median rests on (the table is rebuilt on every justice run, so it starts empty).

DROP VIEW crime_person_version;
DROP VIEW outcome_version;

CREATE TABLE crime_person_v7 (
    source VARCHAR NOT NULL, source_record_id VARCHAR NOT NULL, crime_record_id VARCHAR NOT NULL,
    person_record_id VARCHAR NOT NULL, role VARCHAR NOT NULL, date_identified DATE,
    load_id VARCHAR NOT NULL, file VARCHAR NOT NULL, row_number BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL
);
INSERT INTO crime_person_v7 BY NAME SELECT * FROM crime_person;
DROP TABLE crime_person;
ALTER TABLE crime_person_v7 RENAME TO crime_person;

CREATE TABLE outcome_v7 (
    source VARCHAR NOT NULL, source_record_id VARCHAR NOT NULL, crime_record_id VARCHAR NOT NULL,
    person_record_id VARCHAR NOT NULL, outcome_type VARCHAR NOT NULL, outcome_date DATE,
    charged_offence VARCHAR, court_result VARCHAR, first_hearing_date DATE, court_result_date DATE,
    load_id VARCHAR NOT NULL, file VARCHAR NOT NULL, row_number BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL
);
INSERT INTO outcome_v7 BY NAME SELECT * FROM outcome;
DROP TABLE outcome;
ALTER TABLE outcome_v7 RENAME TO outcome;

CREATE TABLE crime_person_history_v7 AS SELECT *, CAST(NULL AS DATE) AS valid_from, CAST(NULL AS DATE) AS valid_to FROM crime_person WITH NO DATA;
INSERT INTO crime_person_history_v7 BY NAME SELECT * FROM crime_person_history;
DROP TABLE crime_person_history;
ALTER TABLE crime_person_history_v7 RENAME TO crime_person_history;

CREATE TABLE outcome_history_v7 AS SELECT *, CAST(NULL AS DATE) AS valid_from, CAST(NULL AS DATE) AS valid_to FROM outcome WITH NO DATA;
INSERT INTO outcome_history_v7 BY NAME SELECT * FROM outcome_history;
DROP TABLE outcome_history;
ALTER TABLE outcome_history_v7 RENAME TO outcome_history;

CREATE VIEW crime_person_version AS
    SELECT t.*, coalesce(f.extract_date, CAST(b.started_at AS DATE)) AS valid_from, CAST(NULL AS DATE) AS valid_to
    FROM crime_person t
    LEFT JOIN load_file f ON f.load_id = t.load_id AND f.file = t.file AND f.table_name = 'crime_person'
    LEFT JOIN load_batch b ON b.load_id = t.load_id
    UNION ALL BY NAME SELECT * FROM crime_person_history;

CREATE VIEW outcome_version AS
    SELECT t.*, coalesce(f.extract_date, CAST(b.started_at AS DATE)) AS valid_from, CAST(NULL AS DATE) AS valid_to
    FROM outcome t
    LEFT JOIN load_file f ON f.load_id = t.load_id AND f.file = t.file AND f.table_name = 'outcome'
    LEFT JOIN load_batch b ON b.load_id = t.load_id
    UNION ALL BY NAME SELECT * FROM outcome_history;

DROP TABLE justice_attrition;
CREATE TABLE justice_attrition (
    run_id VARCHAR NOT NULL, as_of DATE, force VARCHAR NOT NULL, year INTEGER,
    reported BIGINT, suspect_identified BIGINT, charged BIGINT, prosecuted BIGINT, convicted BIGINT,
    median_days_report_to_outcome DOUBLE, median_days_report_to_charge DOUBLE,
    median_days_committed_to_report DOUBLE,
    median_days_report_to_suspect DOUBLE, crimes_report_to_suspect BIGINT,
    median_days_suspect_to_charge DOUBLE, crimes_suspect_to_charge BIGINT,
    median_days_charge_to_prosecution DOUBLE, crimes_charge_to_prosecution BIGINT,
    median_days_prosecution_to_conviction DOUBLE, crimes_prosecution_to_conviction BIGINT,
    median_days_report_to_conviction DOUBLE, crimes_report_to_conviction BIGINT
);
