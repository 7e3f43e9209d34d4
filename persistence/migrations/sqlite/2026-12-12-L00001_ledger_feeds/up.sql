-- Special-group ledgers, step 3 "compare" (GUIDE 第四章五; issue 27, ledgers): the records of the civil-affairs
-- hardship list (民政特困人员名单: listed 在册 / withdrawn 退出 since a day) and of hospital records of serious illness
-- (医院重病记录: diagnosis category, day, institution; health data) that the data platform sends, kept per person
-- matched in the sender's subtree. Each source record is kept once per kind (idempotent by source_ref); the batch
-- itself is a row of feed_batches (kind hardship_list / serious_illness).
CREATE TABLE ledger_feed_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL,
    feed_batch_id BIGINT NOT NULL REFERENCES feed_batches (id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    source_ref TEXT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    record_date DATE NOT NULL,
    listed BOOLEAN NOT NULL,
    diagnosis_category TEXT,
    institution TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, source_ref)
);
CREATE INDEX ledger_feed_records_retiree_idx ON ledger_feed_records (retiree_id, kind);
