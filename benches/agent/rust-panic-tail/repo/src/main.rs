use std::process::ExitCode;

use tailr::{last_lines, parse_args};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&args) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("tailr: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(&args.path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("tailr: {}: {e}", args.path);
            return ExitCode::FAILURE;
        }
    };
    for line in last_lines(&text, args.count) {
        println!("{line}");
    }
    ExitCode::SUCCESS
}
