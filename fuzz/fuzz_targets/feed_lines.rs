//! A data-platform feed body (CSV or NDJSON) through normalising and the feeds' line reader and checks:
//! `api::fuzzing::check_feed_body`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| api::fuzzing::check_feed_body(data));
