//! WAV files (RIFF, 16-bit PCM, mono): what `bitig speak` and the headless kiosk's
//! `--audio-out` write.

/// A WAV file (RIFF, PCM, 16-bit mono) of `pcm` at `rate`.
pub fn wav_bytes(pcm: &[i16], rate: u32) -> Vec<u8> {
    let data = (pcm.len() * 2) as u32;
    let mut b = Vec::with_capacity(44 + data as usize);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data.to_le_bytes());
    for s in pcm {
        b.extend_from_slice(&s.to_le_bytes());
    }
    b
}

/// Where a 16-bit PCM WAV file's samples are: its channels, its rate and the byte its
/// samples start at. They run to the file's end: a recorder that is still writing (QEMU's
/// `wav` audiodev) fills in the data chunk's size only when it closes the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub channels: u16,
    pub rate: u32,
    pub data_at: usize,
}

/// Reads a WAV file's chunks up to its data; says what is wrong with anything but 16-bit
/// PCM.
pub fn layout(bytes: &[u8]) -> Result<Layout, String> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(format!(
            "not a WAV file (no RIFF/WAVE at its start; {} bytes)",
            bytes.len()
        ));
    }
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at =
        |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let mut at = 12;
    let mut format = None;
    while at + 8 <= bytes.len() {
        let (id, len, body) = (&bytes[at..at + 4], u32_at(at + 4) as usize, at + 8);
        if id == b"fmt " {
            if body + 16 > bytes.len() {
                return Err(format!("its fmt chunk at byte {at} is cut short"));
            }
            if u16_at(body) != 1 || u16_at(body + 14) != 16 {
                return Err(format!(
                    "its fmt chunk at byte {at} is not 16-bit PCM (format {}, {} bits)",
                    u16_at(body),
                    u16_at(body + 14)
                ));
            }
            format = Some((u16_at(body + 2), u32_at(body + 4)));
        }
        if id == b"data" {
            let Some((channels, rate)) = format.filter(|f| f.0 > 0 && f.1 > 0) else {
                return Err(format!(
                    "its data chunk at byte {at} has no fmt chunk before it"
                ));
            };
            return Ok(Layout {
                channels,
                rate,
                data_at: body,
            });
        }
        at = body.saturating_add(len).saturating_add(len & 1);
    }
    Err("it has no data chunk".to_string())
}

/// The samples of a mono 16-bit WAV file, and its rate; `None` for anything else.
pub fn wav_samples(bytes: &[u8]) -> Option<(u32, Vec<i16>)> {
    let l = layout(bytes).ok().filter(|l| l.channels == 1)?;
    let pcm = bytes[l.data_at..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    Some((l.rate, pcm))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_wav_reads_back() {
        let b = super::wav_bytes(&[1, -2, 300], 48_000);
        assert_eq!(b.len(), 50);
        assert_eq!(super::wav_samples(&b), Some((48_000, vec![1, -2, 300])));
        assert_eq!(super::wav_samples(&b[..40]), None);
    }

    /// A stereo recording with a chunk before its data, as other writers make, and what is
    /// not 16-bit PCM.
    #[test]
    fn the_layout_skips_other_chunks_and_names_what_is_wrong() {
        let mut b = super::wav_bytes(&[5, 6, 7, 8], 48_000);
        b[22] = 2; // stereo
        let mut with_list = b[..36].to_vec();
        with_list.extend_from_slice(b"LIST\x03\0\0\0abc\0");
        with_list.extend_from_slice(&b[36..]);
        let l = super::layout(&with_list).unwrap();
        assert_eq!((l.channels, l.rate), (2, 48_000));
        assert_eq!(&with_list[l.data_at..], &b[44..]);
        assert_eq!(super::wav_samples(&with_list), None, "not mono");
        let mut float = b.clone();
        float[20] = 3;
        assert!(super::layout(&float)
            .unwrap_err()
            .contains("not 16-bit PCM"));
        assert!(super::layout(&b[..30]).unwrap_err().contains("cut short"));
        assert!(super::layout(b"RIFX").unwrap_err().contains("not a WAV"));
        assert!(super::layout(&b[..36])
            .unwrap_err()
            .contains("no data chunk"));
    }
}
