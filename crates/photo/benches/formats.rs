//! The photo pipeline beside libvips **in process** (pyvips, `benches/vips_in_process.py`),
//! format by format (issue 18), in one run: time (medians), SSIM against a reference made
//! from the full-resolution scene, bytes, and the pipeline's peak memory.
//!
//! The scene is a 4032 x 3024 (12 MP) photo-like picture (ImageMagick's fractal plasma with
//! grain); each format is written from it by that format's own tools: ImageMagick (JPEG
//! baseline, progressive, grayscale, CMYK; PNG; GIF at 1600 px, as GIFs are small), cwebp
//! (lossy WebP), libheif's x265 (HEIC), avifenc (AVIF: 12-bit 4:4:4, its default for this
//! source, at 2016 x 1512, aom being slow to encode it at 12 MP; and 8-bit 4:2:0 at 12 MP, as
//! phones write it), libheif's x265 again for a grid HEIC as iPhones write it (512 px tiles,
//! the scene made 4096 x 3072). The reference is ImageMagick's Lanczos resize of the lossless
//! scene (its grayscale for the grayscale file, its 4096 x 3072 for the grid). Both sides do the same job: decode, bound the long edge to 1600 px,
//! upright, sRGB, JPEG quality 80 with optimised Huffman tables and no metadata.
//!
//! The two take turns run by run (libvips in a Python process that answers one request at a
//! time; which goes first alternates), after one unmeasured run of each; the ratio is the
//! median of the runs' ratios, so a slow spell of the shared machine falls on both sides.
//!
//! Peak memory: this binary re-runs itself on one file (`--one`) and reports how far the
//! process's peak resident set (VmHWM) rose over what it was before the pipeline ran.

// A benchmark measures wall time: it reads the real clock on purpose.
#![allow(clippy::disallowed_methods)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{median, ms, quality, run};
use multiline_photo::{Options, process};

mod common;

const RUNS: usize = 9;

/// Which reference a file of the corpus is scored against.
#[derive(Clone, Copy)]
enum Reference {
    Scene,
    /// The scene's grayscale.
    Gray,
    /// The scene made 4096 x 3072 (the grid HEIC's whole tiles).
    Grid,
}

/// A file of the corpus: its name, and the reference it is scored against.
struct Case {
    name: &'static str,
    file: PathBuf,
    reference: Reference,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--one") {
        let bytes = std::fs::read(&args[i + 1]).unwrap();
        let before = vm_hwm_kb();
        let photo = process(&bytes, &Options::default(), |_| {}).unwrap();
        std::hint::black_box(photo);
        println!("{}", vm_hwm_kb().saturating_sub(before));
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let python = std::env::var("MULTILINE_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let dir = std::env::temp_dir().join(format!("multiline-formats-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = corpus(&dir);

    // Ours and libvips' (a Python process answering one request at a time) take turns, run by
    // run, which goes first alternating: a slow spell of the shared machine falls on both.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/vips_in_process.py");
    let mut vips = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    let mut requests = vips.stdin.take().unwrap();
    let mut answers = BufReader::new(vips.stdout.take().unwrap());
    let mut vips_run = |file: &Path, out: Option<&Path>| -> Duration {
        let out = out.map(|o| o.to_str().unwrap()).unwrap_or("");
        writeln!(requests, "{}\t{out}", file.to_str().unwrap()).unwrap();
        let mut line = String::new();
        answers.read_line(&mut line).unwrap();
        Duration::from_secs_f64(line.trim().parse().expect("a time from pyvips"))
    };
    let inputs: Vec<Vec<u8>> = cases
        .iter()
        .map(|c| std::fs::read(&c.file).unwrap())
        .collect();
    let ours_run = |bytes: &[u8]| -> (Duration, Vec<u8>) {
        let t = Instant::now();
        let photo = process(bytes, &Options::default(), |_| {}).unwrap();
        (t.elapsed(), photo.image.bytes)
    };
    let vips_out = |case: &Case| {
        dir.join(format!(
            "{}.vips.jpg",
            case.file.file_name().unwrap().to_str().unwrap()
        ))
    };
    // One unmeasured run of each first (files read, libraries' first calls).
    for (case, bytes) in cases.iter().zip(&inputs) {
        ours_run(bytes);
        vips_run(&case.file, Some(&vips_out(case)));
    }
    let mut ours_times = vec![Vec::new(); cases.len()];
    let mut vips_times = vec![Vec::new(); cases.len()];
    let mut outputs = vec![Vec::new(); cases.len()];
    for round in 0..RUNS {
        for (i, (case, bytes)) in cases.iter().zip(&inputs).enumerate() {
            if round % 2 == 1 {
                vips_times[i].push(vips_run(&case.file, None));
            }
            let (time, output) = ours_run(bytes);
            ours_times[i].push(time);
            outputs[i] = output;
            if round % 2 == 0 {
                vips_times[i].push(vips_run(&case.file, None));
            }
        }
    }
    drop(requests); // its end of input: the Python process ends
    vips.wait().unwrap();

    let open = |name: &str| image::open(dir.join(name)).unwrap().into_rgb8();
    let references = [
        open("reference.png"),
        open("reference-gray.png"),
        open("reference-grid.png"),
    ];
    println!(
        "photo pipeline vs libvips {} in process (pyvips thumbnail_buffer + jpegsave_buffer), \
         long edge 1600, quality 80; median of {RUNS}",
        vips_version(&python)
    );
    println!(
        "{:<24} {:>9} {:>9} {:>7} {:>8} {:>8} {:>9} {:>9} {:>9}",
        "format", "ours", "libvips", "ratio", "SSIM", "vips", "bytes", "vips", "peak MB"
    );
    for (i, case) in cases.iter().enumerate() {
        let out = dir.join(format!("{}.ours.jpg", case.name));
        std::fs::write(&out, &outputs[i]).unwrap();
        let (time, vips_time) = (median(&ours_times[i]), median(&vips_times[i]));
        // The median of the runs' ratios, each pair measured in the same moments.
        let mut ratios: Vec<f64> = vips_times[i]
            .iter()
            .zip(&ours_times[i])
            .map(|(v, o)| ms(*v) / ms(*o))
            .collect();
        ratios.sort_by(f64::total_cmp);
        let ratio = ratios[ratios.len() / 2];
        let reference = &references[case.reference as usize];
        let (bytes, ssim) = quality(&out, reference);
        let (vips_bytes, vips_ssim) = quality(&vips_out(case), reference);
        println!(
            "{:<24} {:>7.1}ms {:>7.1}ms {:>6.2}x {:>8.4} {:>8.4} {:>9} {:>9} {:>9.1}",
            case.name,
            ms(time),
            ms(vips_time),
            ratio,
            ssim,
            vips_ssim,
            bytes,
            vips_bytes,
            peak_mb(&case.file),
        );
    }
    println!(
        "ratio: the median of the runs' libvips time over ours, run in turns (above 1: ours is \
         faster). SSIM: RGB MSSIM against \
         the reference. peak MB: the pipeline's rise in peak RSS, in its own process."
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Writes the corpus into `dir` (and the references); returns the cases.
fn corpus(dir: &Path) -> Vec<Case> {
    let scene = dir.join("scene.png");
    common::scene(&scene, &[]);
    let convert = |name: &str, args: &[&str]| -> PathBuf {
        let out = dir.join(name);
        run(Command::new("convert").arg(&scene).args(args).arg(&out));
        out
    };
    run(Command::new("convert")
        .arg(&scene)
        .args(["-filter", "Lanczos", "-resize", "1600x1600"])
        .arg(dir.join("reference.png")));
    run(Command::new("convert")
        .arg(&scene)
        .args([
            "-colorspace",
            "Gray",
            "-filter",
            "Lanczos",
            "-resize",
            "1600x1600",
            "-colorspace",
            "sRGB",
            "-type",
            "TrueColor",
        ])
        .arg(dir.join("reference-gray.png")));
    let case = |name, file, gray| Case {
        name,
        file,
        reference: if gray {
            Reference::Gray
        } else {
            Reference::Scene
        },
    };
    let mut cases = vec![
        case("JPEG", convert("baseline.jpg", &["-quality", "92"]), false),
        case(
            "JPEG progressive",
            convert(
                "progressive.jpg",
                &["-interlace", "Plane", "-quality", "92"],
            ),
            false,
        ),
        case(
            "JPEG grayscale",
            convert("gray.jpg", &["-colorspace", "Gray", "-quality", "92"]),
            true,
        ),
        case(
            "JPEG CMYK",
            convert("cmyk.jpg", &["-colorspace", "CMYK", "-quality", "92"]),
            false,
        ),
        case("PNG", scene.clone(), false),
        case(
            "GIF",
            convert("small.gif", &["-resize", "1600x1600"]),
            false,
        ),
    ];
    let webp = dir.join("lossy.webp");
    run(Command::new("cwebp")
        .args(["-quiet", "-q", "85"])
        .arg(&scene)
        .arg("-o")
        .arg(&webp));
    cases.push(case("WebP lossy", webp, false));
    let heic = dir.join("photo.heic");
    let pixels = image::open(&scene).unwrap().into_rgb8();
    std::fs::write(
        &heic,
        multiline_photo::heif_testing::encode(&pixels, false, 1),
    )
    .unwrap();
    cases.push(case("HEIC", heic, false));
    // As iPhones write it: 512 px tiles, each its own HEVC picture (the scene made
    // 4096 x 3072, whole tiles).
    let grid = dir.join("photo-grid.heic");
    let wide = convert("wide.png", &["-resize", "4096x3072!"]);
    run(Command::new("convert")
        .arg(&wide)
        .args(["-filter", "Lanczos", "-resize", "1600x1600"])
        .arg(dir.join("reference-grid.png")));
    let wide = image::open(&wide).unwrap().into_rgb8();
    std::fs::write(
        &grid,
        multiline_photo::heif_testing::encode_grid(&wide, 512),
    )
    .unwrap();
    cases.push(Case {
        name: "HEIC grid (iPhone)",
        file: grid,
        reference: Reference::Grid,
    });
    let half = convert("half.png", &["-resize", "50%"]);
    // avifenc's defaults for this 16-bit source: 12 bits, 4:4:4 (at 3 MP: aom is slow to
    // encode it). Then as phones and cameras write AVIF: 8 bits, 4:2:0, at 12 MP.
    for (name, file, source, depth, yuv) in [
        ("AVIF 12-bit 4:4:4 (3 MP)", "photo.avif", &half, "12", "444"),
        ("AVIF 8-bit 4:2:0", "photo-420.avif", &scene, "8", "420"),
    ] {
        let avif = dir.join(file);
        run(Command::new("avifenc")
            .args([
                "-s", "10", "--min", "20", "--max", "30", "-d", depth, "-y", yuv,
            ])
            .arg(source)
            .arg(&avif)
            .stdout(std::process::Stdio::null()));
        cases.push(case(name, avif, false));
    }
    cases
}

/// The pipeline's peak memory on `file`, in its own process.
fn peak_mb(file: &Path) -> f64 {
    let me = std::env::current_exe().unwrap();
    let out = Command::new(me).arg("--one").arg(file).output().unwrap();
    assert!(out.status.success());
    let kb: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    kb / 1024.0
}

/// This process's peak resident set so far (Linux's VmHWM), in KiB.
fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn vips_version(python: &str) -> String {
    let out = Command::new(python)
        .args([
            "-c",
            "import pyvips; print(f'{pyvips.version(0)}.{pyvips.version(1)}')",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
