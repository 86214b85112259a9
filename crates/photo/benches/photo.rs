//! The photo pipeline on a 12-megapixel camera JPEG, side by side in one run with libvips'
//! `vipsthumbnail` and ImageMagick's `convert` doing the same job: upright, metadata
//! stripped, long edge 1600 px, JPEG quality 80.
//!
//! Each tool runs as a process (the way a messaging app would call it), and so does ours:
//! this binary re-executes itself with `--one IN OUT`. The in-process time (what the app
//! pays) is reported too. Medians of `RUNS` runs, interleaved so noise hits all alike.
//! Quality is SSIM against a reference made from the full-resolution pixels by ImageMagick's
//! Lanczos filter (saved losslessly): ImageMagick's own resize, so the reference favours it,
//! not us.

// A benchmark measures wall time: it reads the real clock on purpose.
#![allow(clippy::disallowed_methods)]

use std::process::Command;
use std::time::{Duration, Instant};

use common::{median, ms, quality, run};
use multiline_photo::{Options, process};

mod common;

const RUNS: usize = 15;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--one") {
        let photo = process(
            &std::fs::read(&args[i + 1]).unwrap(),
            &Options::default(),
            |_| {},
        )
        .unwrap();
        std::fs::write(&args[i + 2], &photo.image.bytes).unwrap();
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile_dir();
    let input = dir.join("camera.jpg");
    // A 4032 x 3024 (12.2 MP, a phone camera's size) photo-like scene: fractal clouds with
    // fine detail and sensor grain, saved at quality 92 like a camera does.
    common::scene(&input, &["-quality", "92"]);
    let reference = dir.join("reference.png");
    run(Command::new("convert")
        .arg(&input)
        .args(["-filter", "Lanczos", "-resize", "1600x1600"])
        .arg(&reference));
    let me = std::env::current_exe().unwrap();
    let outputs = [
        dir.join("ours.jpg"),
        dir.join("vips.jpg"),
        dir.join("magick.jpg"),
    ];
    let vips_out = format!("{}[Q=80,strip]", outputs[1].display());
    let mut commands = [
        Command::new(&me),
        Command::new("vipsthumbnail"),
        Command::new("convert"),
    ];
    commands[0].arg("--one").arg(&input).arg(&outputs[0]);
    commands[1]
        .arg(&input)
        .args(["-s", "1600x1600", "-o", &vips_out]);
    commands[2]
        .arg(&input)
        .args([
            "-auto-orient",
            "-resize",
            "1600x1600",
            "-strip",
            "-quality",
            "80",
        ])
        .arg(&outputs[2]);

    let bytes = std::fs::read(&input).unwrap();
    let mut times: [Vec<Duration>; 4] = Default::default();
    for _ in 0..RUNS {
        for (i, c) in commands.iter_mut().enumerate() {
            let t = Instant::now();
            run(c);
            times[i].push(t.elapsed());
        }
        let t = Instant::now();
        std::hint::black_box(process(&bytes, &Options::default(), |_| {}).unwrap());
        times[3].push(t.elapsed());
    }
    let reference = image::open(&reference).unwrap().into_rgb8();
    println!(
        "photo pipeline: {} ({} bytes, {}x{}) -> long edge 1600, quality 80; median of {RUNS}",
        input.display(),
        bytes.len(),
        4032,
        3024
    );
    println!(
        "{:<34} {:>10} {:>8} {:>10} {:>8}",
        "", "median", "ratio", "bytes", "SSIM"
    );
    let vips_ms = median(&times[1]);
    let names = [
        "ours (process)",
        "vipsthumbnail 8.14",
        "ImageMagick 6.9 convert",
    ];
    for (i, name) in names.iter().enumerate() {
        // Every tool writes the reference's own size here (1600 x 1200).
        let header = turbojpeg::read_header(&std::fs::read(&outputs[i]).unwrap()).unwrap();
        assert_eq!(
            (header.width as u32, header.height as u32),
            reference.dimensions()
        );
        let (size, ssim) = quality(&outputs[i], &reference);
        println!(
            "{name:<34} {:>8.1}ms {:>7.2}x {size:>10} {ssim:>8.4}",
            ms(median(&times[i])),
            ms(median(&times[i])) / ms(vips_ms)
        );
    }
    println!(
        "{:<34} {:>8.1}ms {:>7.2}x   (what the app pays: no process start)",
        "ours (in process)",
        ms(median(&times[3])),
        ms(median(&times[3])) / ms(vips_ms)
    );
    println!(
        "ratio: time over vipsthumbnail's, same run. SSIM: RGB MSSIM against the Lanczos reference."
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("multiline-photo-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
