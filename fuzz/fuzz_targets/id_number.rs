//! `domain::IdNumber::parse` on arbitrary UTF-8, with the properties of `api::fuzzing::check_id_number`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| api::fuzzing::check_id_number(input));
