DROP TABLE ledger_feed_records;
