//! scratch
use consentry::classify::{Classifier, Message};
fn main() {
    let c = Classifier::default();
    for f in [
        "benches/data/receipt_10k.txt",
        "benches/data/notification_1k.txt",
    ] {
        let body = std::fs::read_to_string(f).unwrap();
        let m = Message::text("Your receipt", &body);
        let mut best = f64::MAX;
        for _ in 0..7 {
            let t = std::time::Instant::now();
            for _ in 0..1000 {
                std::hint::black_box(c.classify(&m));
            }
            best = best.min(t.elapsed().as_secs_f64() * 1e6 / 1000.0);
        }
        print!("{f}: {best:.1} us  ");
    }
    println!();
}
