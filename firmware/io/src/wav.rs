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

/// The samples of a WAV file that [`wav_bytes`] wrote (16-bit mono PCM, a 44-byte header),
/// and its rate; `None` for anything else.
pub fn wav_samples(bytes: &[u8]) -> Option<(u32, Vec<i16>)> {
    let head = bytes.get(..44)?;
    if &head[0..4] != b"RIFF" || &head[8..16] != b"WAVEfmt " || &head[36..40] != b"data" {
        return None;
    }
    let rate = u32::from_le_bytes([head[24], head[25], head[26], head[27]]);
    let pcm = bytes[44..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    Some((rate, pcm))
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
}
