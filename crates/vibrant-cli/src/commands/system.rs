//! `vibrant system`: what Vibrant detects about this machine, as a table or JSON.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use vibrant_system::SystemInfo;

use crate::commands::Context;
use crate::output::{Style, human_bytes, paint};

#[derive(Debug, clap::Args)]
pub struct SystemArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    info: &'a SystemInfo,
    /// The engine's default thread count on this machine.
    recommended_threads: usize,
}

pub fn run(ctx: &Context, args: &SystemArgs) -> Result<()> {
    let info = SystemInfo::detect();
    let mut out = std::io::stdout().lock();
    if args.json {
        let report = Report {
            info: &info,
            recommended_threads: info.recommended_threads(),
        };
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    let color = ctx.color.stdout;
    let row = |out: &mut dyn Write, label: &str, value: String| -> std::io::Result<()> {
        writeln!(
            out,
            "{} {value}",
            paint(color, Style::Bold, &format!("{label:<13}"))
        )
    };
    let unknown = || "unknown".to_owned();
    row(&mut out, "os", format!("{} {}", info.os, info.arch))?;
    row(
        &mut out,
        "cpu",
        info.cpu.model.clone().unwrap_or_else(unknown),
    )?;
    let cpu = &info.cpu;
    row(
        &mut out,
        "cores",
        format!(
            "{} physical, {} logical, {} usable by this process",
            cpu.physical_cores, cpu.logical_cores, cpu.usable_cores
        ),
    )?;
    if let Some(quota) = cpu.cgroup_cpu_quota {
        row(&mut out, "cpu quota", format!("{quota:.2} CPUs (cgroup)"))?;
    }
    let mem = &info.memory;
    let bytes = |b: Option<u64>| b.map_or_else(unknown, human_bytes);
    row(
        &mut out,
        "memory",
        format!(
            "{} total, {} available",
            bytes(mem.total_bytes),
            bytes(mem.available_bytes)
        ),
    )?;
    match (mem.cgroup_limit_bytes, mem.cgroup_version) {
        (Some(limit), version) => {
            let version = version.map_or("", |v| match v {
                vibrant_system::CgroupVersion::V1 => " v1",
                vibrant_system::CgroupVersion::V2 => " v2",
            });
            row(
                &mut out,
                "memory limit",
                format!(
                    "{} (cgroup{version}); the host has {}",
                    human_bytes(limit),
                    bytes(mem.host_total_bytes)
                ),
            )?;
        }
        (None, _) => row(&mut out, "memory limit", "none".to_owned())?,
    }
    let features = cpu.features.names();
    row(
        &mut out,
        "simd",
        if features.is_empty() {
            "none".to_owned()
        } else {
            features.join(" ")
        },
    )?;
    // `system` is a diagnostic: a broken configuration is reported, not fatal.
    let config = ctx.config().map_err(|e| tracing::warn!("{e:#}")).ok();
    let configured =
        config.and_then(|c| Some((c.engine.threads?, c.explain("engine.threads").ok()?)));
    let threads = match configured {
        Some((n, explained)) => format!("{n} (engine.threads, from {})", explained.origin),
        None => format!(
            "{} (default: usable physical cores, within any CPU quota)",
            info.recommended_threads()
        ),
    };
    row(&mut out, "threads", threads)?;
    Ok(())
}
