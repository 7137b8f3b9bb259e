//! Print the rule catalogue as Markdown (the content of `RULES.md`).
//!
//! Run with `cargo run --example rules > RULES.md`.

fn main() {
    print!("{}", consentry::catalogue::markdown());
}
