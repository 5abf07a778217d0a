-- joinedup warehouse schema 6: the risk stage's review queue, rebuilt per (as_of, org) by `joinedup risk`.
-- Every row carries the run that made it and the as-of date used; every indicator keeps its evidence records.

CREATE TABLE risk_run (
    run_id VARCHAR NOT NULL, as_of DATE NOT NULL, org VARCHAR, created_at TIMESTAMP NOT NULL,
    children BIGINT NOT NULL, flagged BIGINT NOT NULL
);

-- One row per child and indicator that fired; evidence: the source:source_record_id of each record behind it.
CREATE TABLE risk_indicator (
    run_id VARCHAR NOT NULL, as_of DATE NOT NULL, org VARCHAR, person_id VARCHAR NOT NULL,
    indicator VARCHAR NOT NULL, kind VARCHAR NOT NULL, points INTEGER NOT NULL, n_evidence BIGINT NOT NULL,
    first_date DATE, last_date DATE, evidence VARCHAR[] NOT NULL, details VARCHAR[]
);

-- The ranked queue: a prompt for review, never a decision.
CREATE TABLE risk_queue (
    run_id VARCHAR NOT NULL, as_of DATE NOT NULL, org VARCHAR, rank BIGINT NOT NULL, person_id VARCHAR NOT NULL,
    score INTEGER NOT NULL, harm_points INTEGER NOT NULL, reasons VARCHAR NOT NULL, evidence VARCHAR[] NOT NULL
);
