//! What the photo benchmarks share: the 12 MP photo-like scene, output quality, medians, and
//! running a tool.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// ImageMagick's arguments for the scene: 4032 x 3024 (12.2 MP, a phone camera's size),
/// fractal clouds with fine detail and sensor grain, seeded so every run uses the same file.
pub const SCENE: [&str; 11] = [
    "-seed",
    "42",
    "-size",
    "4032x3024",
    "plasma:fractal",
    "-blur",
    "0x0.7",
    "-attenuate",
    "0.15",
    "+noise",
    "Gaussian",
];

/// Writes the scene to `out` (its format by the name), with `then` (say, a JPEG quality).
pub fn scene(out: &Path, then: &[&str]) {
    run(Command::new("convert").args(SCENE).args(then).arg(out));
}

/// Output bytes and RGB MSSIM against `reference` (an output a pixel off the reference's
/// size by rounding is resized to it first).
pub fn quality(path: &Path, reference: &image::RgbImage) -> (usize, f64) {
    let bytes = std::fs::read(path).unwrap();
    let mut image: image::RgbImage = turbojpeg::decompress_image(&bytes).unwrap();
    if image.dimensions() != reference.dimensions() {
        image = image::imageops::resize(
            &image,
            reference.width(),
            reference.height(),
            image::imageops::FilterType::Lanczos3,
        );
    }
    let ssim = image_compare::rgb_similarity_structure(
        &image_compare::Algorithm::MSSIMSimple,
        reference,
        &image,
    )
    .unwrap()
    .score;
    (bytes.len(), ssim)
}

pub fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn run(command: &mut Command) {
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(status.success(), "{command:?}: {status}");
}
