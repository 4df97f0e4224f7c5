//! The recommendation on simulated machines: memory × cores (with a typical bandwidth for the
//! core count), for each workload. `cargo run -p vibrant-models --example recommend_profiles`
//! prints the Markdown table in docs/results/model-management.md.
#![allow(clippy::print_stdout)]

use vibrant_models::{Catalog, MachineFacts, SpeedFacts, Workload, recommend_for};

fn main() {
    let simd = vibrant_system::SimdFeatures {
        avx2: true,
        fma: true,
        ..Default::default()
    };
    // (cores, read bandwidth GB/s): a 2-vCPU cloud VM, an 8-core laptop, a 16-core desktop.
    let machines = [(2usize, 20.0f64), (8, 40.0), (16, 60.0)];
    let catalog = Catalog::builtin();
    println!(
        "| memory | cores (bandwidth) | ask (20 s) | agent (60 s) | complete (2 s) | by memory alone |"
    );
    println!("|---|---|---|---|---|---|");
    for gib in [8u64, 16, 24, 64] {
        let total = gib << 30;
        for (cores, bw) in machines {
            let facts = MachineFacts {
                total_memory: total,
                available_memory: total * 8 / 10,
                cores,
                speed: Some(SpeedFacts::new(bw * 1e9, cores, &simd)),
            };
            let cell = |w: &Workload| {
                let r = recommend_for(&catalog, &facts, 4096, w);
                match r.choice {
                    Some(c) => format!(
                        "{} {} ({:.0} s{})",
                        c.alias,
                        c.quant,
                        c.speed.map_or(0.0, |s| s.request_secs),
                        if c.fast_enough { "" } else { ", too slow" }
                    ),
                    None => "—".to_owned(),
                }
            };
            let ram_only = recommend_for(
                &catalog,
                &MachineFacts {
                    speed: None,
                    ..facts
                },
                4096,
                &Workload::ASK,
            )
            .choice
            .map_or("—".to_owned(), |c| format!("{} {}", c.alias, c.quant));
            println!(
                "| {gib} GiB | {cores} ({bw:.0} GB/s) | {} | {} | {} | {ram_only} |",
                cell(&Workload::ASK),
                cell(&Workload::AGENT),
                cell(&Workload::COMPLETE)
            );
        }
    }
}
