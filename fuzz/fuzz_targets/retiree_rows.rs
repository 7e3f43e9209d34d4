//! A retiree import file (CSV or NDJSON, any encoding, maybe gzip) through normalising, the import job's row
//! readers and its row checks: `api::fuzzing::check_retiree_file`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| api::fuzzing::check_retiree_file(data));
