//! Any bytes as an EventBridge event: a classification or a clear error, never a panic.
#![no_main]

use certwatch_guest::event::Event;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Event::parse(text);
    }
});
