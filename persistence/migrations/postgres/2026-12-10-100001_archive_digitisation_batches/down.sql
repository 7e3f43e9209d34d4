DROP TABLE archive_batch_items;
DROP TABLE archive_batches;
