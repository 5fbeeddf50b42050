//! The guest's logic natively, built as the component is built (fat LTO, one codegen unit:
//! the `native-logic` profile at opt-level 3, and `native-logic-guest-levels` at the guest's
//! own levels), so the figures compare like with like. Reads a bundle (JSON)
//! on standard input, handles its event a few times to warm up and then `rounds` times, and
//! prints how many nanoseconds one round took.

use std::io::Read as _;
use std::process::ExitCode;
use std::time::Instant;

const WARM_UP_ROUNDS: u32 = 5;

fn main() -> ExitCode {
    match measure() {
        Ok(nanos) => {
            println!("{nanos}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("certwatch-native-logic: {e}");
            ExitCode::FAILURE
        }
    }
}

fn measure() -> Result<u128, String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("reading the bundle: {e}"))?;
    let mut bundle: certwatch_logic_guest::Bundle =
        serde_json::from_str(&text).map_err(|e| format!("not a bundle: {e}"))?;
    let rounds = bundle.rounds.max(1);
    bundle.rounds = WARM_UP_ROUNDS;
    certwatch_logic_guest::run(&bundle)?;
    bundle.rounds = rounds;
    let started = Instant::now();
    certwatch_logic_guest::run(&bundle)?;
    Ok(started.elapsed().as_nanos() / u128::from(rounds))
}
