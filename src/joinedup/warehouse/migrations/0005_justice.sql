-- joinedup warehouse schema 5: the justice stage's lists (rebuilt per run: DELETE then INSERT).
-- Every row carries the run that made it and the as-of date it used (NULL = current state), and
-- the (source, source_record_id) of the records behind it.

CREATE TABLE justice_run (
    run_id VARCHAR PRIMARY KEY, as_of DATE, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
    link_run_id VARCHAR, network_used BOOLEAN, crimes_in_scope BIGINT, downgrades BIGINT,
    disregards BIGINT, reopen BIGINT
);

-- Crimes with a CSE flag or a child sexual offence, by force and year of report, through each stage.
CREATE TABLE justice_attrition (
    run_id VARCHAR NOT NULL, as_of DATE, force VARCHAR NOT NULL, year INTEGER,
    reported BIGINT, suspect_identified BIGINT, charged BIGINT, prosecuted BIGINT, convicted BIGINT,
    median_days_report_to_outcome DOUBLE, median_days_report_to_charge DOUBLE,
    median_days_committed_to_report DOUBLE
);

-- Outcome types reached at each stage (one row per force, year, stage, outcome type).
CREATE TABLE justice_attrition_outcome (
    run_id VARCHAR NOT NULL, as_of DATE, force VARCHAR NOT NULL, year INTEGER, stage VARCHAR NOT NULL,
    outcome_type VARCHAR NOT NULL, outcome_label VARCHAR, court_result VARCHAR, crimes BIGINT NOT NULL
);

-- Rape of a child under 16 recorded at report, charged as a lesser non-rape offence.
CREATE TABLE justice_downgrade (
    run_id VARCHAR NOT NULL, as_of DATE,
    source VARCHAR NOT NULL, source_record_id VARCHAR NOT NULL,          -- the outcome (charge) row
    crime_record_id VARCHAR NOT NULL, suspect_record_id VARCHAR, victim_records VARCHAR,
    victim_person_id VARCHAR, force VARCHAR, year INTEGER,
    offence_recorded VARCHAR NOT NULL, offence_charged VARCHAR NOT NULL, court_result VARCHAR,
    date_committed DATE, victim_dob_estimate DATE, dob_basis VARCHAR,
    age_at_offence INTEGER, age_certainty VARCHAR, reason VARCHAR NOT NULL
);

-- People charged, cautioned or convicted as children of prostitution-related offences who are
-- also recorded as victims of sexual exploitation.
CREATE TABLE justice_disregard (
    run_id VARCHAR NOT NULL, as_of DATE, person_id VARCHAR NOT NULL,
    convictions VARCHAR NOT NULL, conviction_records VARCHAR NOT NULL, corroboration VARCHAR NOT NULL,
    victim_records VARCHAR NOT NULL, victim_evidence VARCHAR NOT NULL,
    match_probability DOUBLE, min_age_at_offence INTEGER, reason VARCHAR NOT NULL
);

-- Closed (no further action / not prosecuted) crimes with new linked intelligence, ranked.
CREATE TABLE justice_reopen (
    run_id VARCHAR NOT NULL, as_of DATE, rank INTEGER NOT NULL, score DOUBLE NOT NULL,
    source VARCHAR NOT NULL, source_record_id VARCHAR NOT NULL,          -- the closing outcome row
    crime_record_id VARCHAR NOT NULL, suspect_record_id VARCHAR NOT NULL, suspect_person_id VARCHAR,
    force VARCHAR, offence VARCHAR, closed_on DATE, closed_as VARCHAR,
    reasons VARCHAR NOT NULL, evidence_records VARCHAR NOT NULL
);
