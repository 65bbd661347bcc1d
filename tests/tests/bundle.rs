//! The bundle format against hostile bytes: every truncation and every single-bit flip of a
//! real bundle is refused with a typed error; re-sealed corruptions (hash fixed up, as an
//! attacker or a buggy tool would) never panic and are refused by decode or validation
//! wherever they break structure. Also: pinned encodings, and reproducible builds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitig_format::*;
use bitig_tests::*;

fn reseal(body: &[u8]) -> Vec<u8> {
    bitig_format::seal(body).unwrap()
}

#[test]
fn the_tiny_bundle_is_real() {
    let bytes = tiny_bundle();
    let b = Bundle::from_bundle_bytes(&bytes).unwrap();
    assert_eq!(b.documents.len(), 1);
    assert!(b.documents[0].editions[0].layouts[0].pages.len() >= 2);
    assert!(!b.atlases.is_empty() && b.ui.len() > 30);
    assert!(
        bytes.len() < 64 * 1024,
        "tiny bundle grew to {} bytes",
        bytes.len()
    );
}

#[test]
fn every_truncation_is_refused() {
    let bytes = tiny_bundle();
    for n in 0..bytes.len() {
        match Bundle::from_bundle_bytes(&bytes[..n]) {
            Err(FormatError::TooShort { len }) => assert!(n < HEADER_LEN && len == n),
            Err(FormatError::LengthMismatch { declared, actual }) => {
                assert!(n >= HEADER_LEN);
                assert_eq!(
                    (declared as usize, actual),
                    (bytes.len() - HEADER_LEN, n - HEADER_LEN)
                );
            }
            other => panic!("truncation to {n} bytes: {other:?}"),
        }
    }
    // The same with the header re-sealed to the shorter body: now the decoder must notice.
    let body = &bytes[HEADER_LEN..];
    for n in 0..body.len() {
        match Bundle::from_bundle_bytes(&reseal(&body[..n])) {
            Err(FormatError::Decode(_)) => {}
            other => panic!("re-sealed truncation to {n} body bytes: {other:?}"),
        }
    }
}

#[test]
fn every_single_bit_flip_is_refused() {
    let mut bytes = tiny_bundle();
    let mut counts = [0usize; 6];
    for i in 0..bytes.len() {
        for bit in 0..8 {
            bytes[i] ^= 1 << bit;
            let r = Bundle::from_bundle_bytes(&bytes);
            let k = match (i, &r) {
                (0..=7, Err(FormatError::BadMagic)) => 0,
                (8..=9, Err(FormatError::UnsupportedVersion { .. })) => 1,
                (10..=11, Err(FormatError::UnknownFlags { .. })) => 2,
                (12..=15, Err(FormatError::LengthMismatch { .. })) => 3,
                (16..=47, Err(FormatError::HashMismatch)) => 4,
                (48.., Err(FormatError::HashMismatch)) => 5,
                _ => panic!("flip of bit {bit} in byte {i}: {r:?}"),
            };
            counts[k] += 1;
            bytes[i] ^= 1 << bit;
        }
    }
    assert_eq!(counts[..5], [64, 16, 16, 32, 256]);
    assert_eq!(counts[5], (bytes.len() - HEADER_LEN) * 8);
    // And the unflipped bundle is still fine (the loop restored every bit).
    Bundle::from_bundle_bytes(&bytes).unwrap();
}

/// With the hash fixed up, a flipped bit reaches the decoder and validator. Flips in pixel or
/// colour bytes give a different but valid bundle; flips in structure must be refused. None
/// may panic, and every accepted bundle must be drawable.
#[test]
fn resealed_bit_flips_never_panic_and_structure_flips_are_refused() {
    let bytes = tiny_bundle();
    let mut body = bytes[HEADER_LEN..].to_vec();
    let (mut ok, mut decode, mut invalid, mut trailing) = (0usize, 0usize, 0usize, 0usize);
    let mut canvas = vec![0u8; 320 * 180 * 3];
    for i in 0..body.len() {
        for bit in 0..8 {
            body[i] ^= 1 << bit;
            let sealed = reseal(&body);
            match Bundle::from_bundle_bytes(&sealed) {
                Ok(b) => {
                    ok += 1;
                    // A validated bundle must be safe to draw: draw every page of a sample.
                    if ok % 251 == 0 {
                        draw_everything(&b, &mut canvas);
                    }
                }
                Err(FormatError::Decode(_)) => decode += 1,
                Err(FormatError::Invalid(_)) => invalid += 1,
                Err(FormatError::TrailingBytes { .. }) => trailing += 1,
                Err(e) => panic!("unexpected error for byte {i} bit {bit}: {e:?}"),
            }
            body[i] ^= 1 << bit;
        }
    }
    eprintln!("re-sealed flips: {ok} valid, {decode} decode errors, {invalid} invalid, {trailing} trailing");
    assert!(
        decode > 1000 && invalid > 1000,
        "the validator must catch structural flips"
    );
}

fn draw_everything(b: &Bundle<'_>, buf: &mut [u8]) {
    let (w, h) = (
        u32::from(b.profile.page_width),
        u32::from(b.profile.page_height),
    );
    let need = (w * h * 3) as usize;
    if buf.len() < need {
        return; // a flipped page size; validation bounds it by the panel, not by our buffer
    }
    let mut c = bitig_render::Canvas::new(&mut buf[..need], w, h).unwrap();
    for d in &b.documents {
        for e in &d.editions {
            for l in &e.layouts {
                for p in &l.pages {
                    bitig_render::draw_page(
                        &mut c,
                        b,
                        p,
                        0,
                        0,
                        bitig_render::Ink::Theme(b.profile.theme),
                    )
                    .unwrap();
                }
            }
        }
    }
    for u in &b.ui {
        bitig_render::draw_block(
            &mut c,
            b,
            &u.block,
            0,
            0,
            bitig_render::Ink::Theme(b.profile.theme),
        )
        .unwrap();
    }
}

/// Arbitrary bytes behind a valid header never panic the decoder.
#[test]
fn random_bodies_never_panic() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for len in 0..2000usize {
        let body: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        assert!(Bundle::from_bundle_bytes(&reseal(&body)).is_err());
    }
}

#[test]
fn pinned_header_bytes() {
    let h = Header {
        format_version: 1,
        flags: 0,
        body_len: 0x0102_0304,
        hash: [0xAB; 32],
    };
    let mut want = b"BITIGBND".to_vec();
    want.extend_from_slice(&[0x01, 0x00, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01]);
    want.extend_from_slice(&[0xAB; 32]);
    assert_eq!(h.to_header_bytes().to_vec(), want);
    assert_eq!(HEADER_LEN, 48);
    // The empty body hashes to BLAKE3's empty-input digest.
    let sealed = reseal(&[]);
    assert_eq!(
        sealed[16..20],
        [0xaf, 0x13, 0x49, 0xb9],
        "BLAKE3(\"\") starts af1349b9"
    );
}

#[test]
fn pinned_body_encodings() {
    let enc = |v: &dyn erased::Enc| v.enc();
    // Varints: u16 1 -> 01; i16 -2 -> zigzag 3; i16 3 -> 6; u16 300 -> ac 02.
    assert_eq!(
        enc(&Glyph {
            entry: 1,
            dx: -2,
            dy: 3,
            cluster: 300
        }),
        [0x01, 0x03, 0x06, 0xac, 0x02]
    );
    assert_eq!(enc(&Lang::Kk), [0]);
    assert_eq!(enc(&Lang::Tr), [1]);
    assert_eq!(enc(&Lang::En), [2]);
    assert_eq!(enc(&TextSize::Large), [1]);
    assert_eq!(enc(&BlockKind::ListItem(7)), [4, 7]);
    assert_eq!(enc(&Rgb(1, 2, 255)), [1, 2, 255]);
    let run = Run {
        strike: StrikeId(2),
        color: ColorRole::Text,
        x: 5,
        glyphs: vec![Glyph {
            entry: 0,
            dx: 0,
            dy: 0,
            cluster: 0,
        }],
    };
    let line = Line {
        block: 3,
        start: 10,
        end: 200,
        hyphen: true,
        x: 40,
        y: -1,
        runs: vec![run],
    };
    //                 block start end(c8 01) hyphen x(80) y(1) runs: len strike color x(10) glyphs: len g
    assert_eq!(
        enc(&line),
        [0x03, 0x0a, 0xc8, 0x01, 0x01, 0x50, 0x01, 0x01, 0x02, 0x00, 0x0a, 0x01, 0, 0, 0, 0]
    );
    let ag = AtlasGlyph {
        gid: GlyphId(640),
        atlas: AtlasId(0),
        x: 1,
        y: 2,
        w: 3,
        h: 4,
        left: -1,
        top: 12,
    };
    assert_eq!(
        enc(&ag),
        [0x80, 0x05, 0x00, 0x01, 0x02, 0x03, 0x04, 0x01, 0x18]
    );
    let entry = ContentsEntry {
        block: 300,
        text: "17.",
        label: TextBlock {
            width: 2,
            height: 1,
            lines: vec![],
        },
    };
    //         block(ac 02) text: len "17." label: width height lines: len
    assert_eq!(
        enc(&entry),
        [0xac, 0x02, 0x03, b'1', b'7', b'.', 0x02, 0x01, 0x00]
    );
}

mod erased {
    pub trait Enc {
        fn enc(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Enc for T {
        fn enc(&self) -> Vec<u8> {
            postcard::to_allocvec(self).unwrap()
        }
    }
}

#[test]
fn bundles_are_byte_identical_across_builds() {
    for profile in [
        "assets/profiles/pi-touch-800x480.toml",
        "assets/profiles/pi-touch2-720x1280.toml",
    ] {
        let a = build(&["assets/statements", "tests/fixtures"], profile).unwrap();
        let b = build(&["assets/statements", "tests/fixtures"], profile).unwrap();
        assert!(a == b, "{profile}: two builds differ");
        Bundle::from_bundle_bytes(&a).unwrap();
    }
}

/// `bitig watch` rebuilds through an edition cache: after a one-word change only that
/// edition is typeset again, and the bundle is byte for byte the one a build from scratch
/// makes of the changed sources.
#[test]
fn a_rebuild_typesets_only_the_changed_edition_and_equals_a_fresh_build() {
    let dir = scratch("edition-cache");
    for e in std::fs::read_dir(root().join("assets/statements")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    let mut inputs = bitig_typeset::Inputs::new(&root().join("assets"));
    inputs.statements = vec![dir.clone()];
    let profile = root().join("assets/profiles/pi-touch-800x480.toml");
    let mut cache = bitig_typeset::EditionCache::default();
    let cached_build = |cache: &mut bitig_typeset::EditionCache| {
        let sources = bitig_typeset::load_sources(&inputs).unwrap();
        let cached =
            bitig_typeset::build_bundle_cached(&sources, &profile, &mut |_| {}, cache).unwrap();
        let fresh = bitig_typeset::build_bundle(&sources, &profile, &mut |_| {}).unwrap();
        (cached, fresh)
    };
    let (first, fresh) = cached_build(&mut cache);
    assert_eq!((cache.typeset, cache.reused), (4, 0));
    assert!(
        first == fresh,
        "the first cached build differs from build_bundle"
    );
    let (again, _) = cached_build(&mut cache);
    assert_eq!((cache.typeset, cache.reused), (0, 4));
    assert!(again == first, "an unchanged rebuild changed the bundle");

    // One word of the Kazakh edition, early in its body: its glyphs move in the strike table.
    let kk = dir.join("jspg-8-2026.kk.md");
    let text = std::fs::read_to_string(&kk).unwrap();
    let changed = text.replacen("Анкара қаласында", "Астана қаласында", 1);
    assert_ne!(changed, text, "the fixture's phrase is gone");
    std::fs::write(&kk, changed).unwrap();
    let (edited, fresh) = cached_build(&mut cache);
    assert_eq!((cache.typeset, cache.reused), (1, 3));
    assert!(edited != first, "the edit did not reach the bundle");
    assert!(
        edited == fresh,
        "the rebuild differs from a build from scratch"
    );
}
