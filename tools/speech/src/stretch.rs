//! A narrator's recording at the visitor's other speeds: the recording made longer or shorter
//! with its pitch kept, by WSOLA (waveform-similarity overlap-add; Verhelst and Roelands,
//! ICASSP 1993). The build does it once (the kiosk only plays), so a recorded edition has
//! the same three speeds as the voice.
//!
//! The output is a row of Hann-windowed frames, half a frame apart. Each frame is cut from
//! the input near where the speed puts it, at the offset (within a few milliseconds) whose
//! waveform best continues the frame before: so the periods of the voice line up where the
//! frames overlap, and no period is doubled or lost in half. Resampling would change the
//! pitch; cutting without the search would make the voice rough.

/// A frame: 30 ms, a few periods of the lowest voice.
const FRAME_MS: u32 = 30;
/// How far a frame may move from where the speed puts it: 8 ms, more than half the period
/// of a 70 Hz voice.
const SEARCH_MS: u32 = 8;

/// `pcm` (`rate` samples a second) made `factor` times as long (above 1 slower, below 1
/// faster), its pitch kept. The result has `round(len × factor)` samples.
pub fn stretch(pcm: &[i16], rate: u32, factor: f64) -> Vec<i16> {
    let want = (pcm.len() as f64 * factor).round() as usize;
    // A factor that is not a positive number (NaN too) leaves the samples as they are.
    let usable = factor.is_finite() && factor > 0.0;
    if pcm.is_empty() || !usable || (factor - 1.0).abs() < 1e-9 {
        let mut same = pcm.to_vec();
        same.resize(want, 0);
        return same;
    }
    let n = ((rate * FRAME_MS / 1000) as usize).max(4) & !1;
    let hop = n / 2;
    let search = (rate * SEARCH_MS / 1000) as isize;
    // A periodic Hann window: frames half a window apart sum to one.
    let window: Vec<f32> = (0..n)
        .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / n as f32).cos())
        .collect();
    let at = |i: isize| -> f32 {
        usize::try_from(i)
            .ok()
            .and_then(|i| pcm.get(i))
            .map_or(0.0, |&s| f32::from(s))
    };
    // Output sample `o` is `out[o + hop]`: the first frame starts half a frame before the
    // output, so the first samples have two frames over them like all the others.
    let mut out = vec![0.0f32; want + n + hop];
    let mut last: isize = -(hop as isize);
    let mut o: isize = -(hop as isize);
    while o < want as isize {
        let target = (o as f64 / factor).round() as isize;
        let from = if o <= 0 {
            target
        } else {
            best_offset(&at, last + hop as isize, target, search, n)
        };
        let base = (o + hop as isize) as usize;
        for (k, w) in window.iter().enumerate() {
            out[base + k] += w * at(from + k as isize);
        }
        last = from;
        o += hop as isize;
    }
    out[hop..hop + want]
        .iter()
        .map(|&v| v.round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

/// The start within `search` of `target` whose `n` samples look most like the natural
/// continuation at `natural` (normalised cross-correlation, every other sample); `target`
/// itself when nothing is alike (silence).
fn best_offset(
    at: &impl Fn(isize) -> f32,
    natural: isize,
    target: isize,
    search: isize,
    n: usize,
) -> isize {
    let mut best = (target, f32::MIN);
    // From the middle out, so a tie keeps the nearest.
    for d in (0..=search).flat_map(|d| [d, -d]).skip(1) {
        let start = target + d;
        let (mut xy, mut yy) = (0.0f32, 0.0f32);
        for k in (0..n as isize).step_by(2) {
            let (x, y) = (at(natural + k), at(start + k));
            xy += x * y;
            yy += y * y;
        }
        let score = if yy > 0.0 { xy / yy.sqrt() } else { 0.0 };
        if score > best.1 {
            best = (start, score);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 16_000;

    /// A voiced "syllable" train: a 130 Hz buzz with its harmonics, 200 ms on and 100 ms off.
    fn voice(ms: u32) -> Vec<i16> {
        let len = (RATE * ms / 1000) as usize;
        (0..len)
            .map(|i| {
                let t = i as f32 / RATE as f32;
                if i % (RATE as usize * 3 / 10) >= RATE as usize / 5 {
                    return 0;
                }
                let f = 130.0 * std::f32::consts::TAU * t;
                (6000.0 * (f.sin() + 0.5 * (2.0 * f).sin() + 0.3 * (3.0 * f).sin())) as i16
            })
            .collect()
    }

    /// The period (in samples): the shortest lag in 2.5 to 20 ms whose autocorrelation is a
    /// peak within 10% of the strongest (a periodic signal also peaks at twice its period).
    fn period(pcm: &[i16]) -> usize {
        let x: Vec<f64> = pcm.iter().map(|&s| f64::from(s)).collect();
        let c: Vec<f64> = (0..322)
            .map(|lag| {
                (0..x.len() - lag).map(|i| x[i] * x[i + lag]).sum::<f64>() / (x.len() - lag) as f64
            })
            .collect();
        let best = c[40..320].iter().cloned().fold(f64::MIN, f64::max);
        (40..320)
            .find(|&l| c[l] >= 0.9 * best && c[l] >= c[l - 1] && c[l] >= c[l + 1])
            .unwrap_or(0)
    }

    fn level(pcm: &[i16]) -> f64 {
        (pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len().max(1) as f64).sqrt()
    }

    #[test]
    fn a_stretch_keeps_the_pitch_and_the_level_and_scales_the_length() {
        let input = voice(3000);
        // The first syllable's buzz: 16000 / 130 = 123 samples a period.
        let p0 = period(&input[800..2400]);
        assert!((122..=124).contains(&p0), "input period {p0}");
        for factor in [160.0 / 130.0, 0.8] {
            let out = stretch(&input, RATE, factor);
            assert_eq!(out.len(), (input.len() as f64 * factor).round() as usize);
            // The first syllable, now `factor` times as long: the same period (a resampler
            // would give 123 × factor).
            let on = (RATE as f64 / 5.0 * factor) as usize;
            let p = period(&out[on / 8..on * 7 / 8]);
            assert!(p.abs_diff(p0) <= 1, "factor {factor}: period {p}, not {p0}");
            // The voice's level is kept where it speaks (no cancelling where frames overlap).
            let (a, b) = (level(&input[800..2400]), level(&out[on / 8..on * 7 / 8]));
            assert!(
                (b / a - 1.0).abs() < 0.05,
                "factor {factor}: level {b:.0}, not {a:.0}"
            );
            // The syllables still start where the factor puts them: the second one at
            // 300 ms × factor, within a frame.
            let second = (RATE as f64 * 0.3 * factor) as usize;
            let onset = out[second - 800..]
                .iter()
                .position(|s| s.unsigned_abs() > 1000)
                .unwrap()
                + second
                - 800;
            assert!(
                onset.abs_diff(second) < (RATE * FRAME_MS / 1000) as usize,
                "factor {factor}: second syllable at {onset}, not near {second}"
            );
        }
    }

    #[test]
    fn silence_stays_silent_and_the_normal_speed_is_the_input() {
        assert!(stretch(&[0; 8000], RATE, 1.25).iter().all(|&s| s == 0));
        let input = voice(500);
        assert_eq!(stretch(&input, RATE, 1.0), input);
        assert!(stretch(&[], RATE, 0.8).is_empty());
    }
}
