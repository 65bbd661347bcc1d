//! The editor's live preview on the kiosk's side (`--watch`): a new bundle is shown in place,
//! on the page that holds the text that was at the top of the page; a statement that went
//! leaves the reader for the library; `bitig watch`'s error banner comes and goes over the
//! page without changing it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bitig_format::{Bundle, Lang, TextSize};
use bitig_kiosk::nav::Screen;
use common::root;
use std::path::{Path, PathBuf};

/// The default statements (one of them edited by `edit`) built for the 800x480 panel as
/// `name.bundle`.
fn build(name: &str, edit: impl Fn(&Path)) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("watch-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(root().join("assets/statements")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") && !p.ends_with("README.md") {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    edit(&dir);
    let mut inputs = bitig_typeset::Inputs::new(&root().join("assets"));
    inputs.statements = vec![dir.clone()];
    let sources = bitig_typeset::load_sources(&inputs).unwrap();
    let profile = root().join("assets/profiles/pi-touch-800x480.toml");
    let bytes = bitig_typeset::build_bundle(&sources, &profile, &mut |_| {}).unwrap();
    let out = dir.with_extension("bundle");
    bitig_io::durable::write(&out, &bytes).unwrap();
    out
}

/// The text of each line of page `page` of the first statement in English, normal size.
fn page_lines(bundle: &Path, page: u16) -> Vec<String> {
    let bytes = std::fs::read(bundle).unwrap();
    let b = Bundle::from_bundle_bytes(&bytes).unwrap();
    let e = b.documents[0].edition(Lang::En).unwrap();
    let l = e.layout(TextSize::Normal).unwrap();
    l.pages[usize::from(page)]
        .lines
        .iter()
        .map(|line| {
            let t = e.blocks[usize::from(line.block)].text;
            t[line.start as usize..line.end as usize].to_string()
        })
        .collect()
}

/// A PNG of `w`×`h` in one colour.
fn png(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut wr = enc.write_header().unwrap();
    wr.write_image_data(&rgb.repeat((w * h) as usize)).unwrap();
    drop(wr);
    out
}

#[test]
fn a_new_bundle_is_shown_in_place_and_the_banner_comes_and_goes() {
    let old = build("old", |_| {});
    // Two new paragraphs at the head of the English text: everything after moves down pages.
    let new = build("new", |dir| {
        let f = dir.join("jspg-8-2026.en.md");
        let text = std::fs::read_to_string(&f).unwrap();
        let para = "The Ministers recalled the long history of friendship between the two \
                    nations, the many treaties signed since independence and the common \
                    institutions both countries belong to, and agreed that the coming years \
                    will bring closer ties in trade, education, culture and transport. ";
        let body = text.splitn(3, "+++").nth(2).unwrap();
        let at = text.len() - body.len() + 1;
        let changed = format!(
            "{}{}\n\n{}\n\n{}",
            &text[..at],
            para.repeat(3),
            para.repeat(3),
            &text[at..]
        );
        std::fs::write(&f, changed).unwrap();
    });
    let (mut h, kiosk) = common::kiosk_in_reader(&old);
    for _ in 0..4 {
        h.turn_page(true, false);
    }
    let (page, _) = kiosk.page();
    assert_eq!(page, 4);
    let top = page_lines(&old, page)[0].clone();

    kiosk.reload(bitig_kiosk::content::load_bundle(&new).unwrap());
    h.advance(400);
    assert_eq!(kiosk.screen(), Screen::Reader);
    let (moved, _) = kiosk.page();
    assert!(
        page_lines(&new, moved).contains(&top),
        "page {moved} of the new bundle does not hold {top:?}, the old page's first line"
    );
    assert!(
        !page_lines(&new, page).contains(&top),
        "the edit did not move the text off page {page}: the test proves nothing"
    );
    let shown = h.frame().2.to_vec();

    // The banner: at the foot of the panel, over the page; gone, the page as it was.
    kiosk.show_banner(Some(&png(800, 90, [0x8c, 0x1c, 0x1c])));
    let (w, _, with) = h.frame();
    let at = |x: usize, y: usize| &with[(y * w as usize + x) * 3..][..3];
    assert_eq!(at(5, 479), [0x8c, 0x1c, 0x1c]);
    assert_eq!(at(795, 391), [0x8c, 0x1c, 0x1c]);
    assert_ne!(at(5, 380), [0x8c, 0x1c, 0x1c]);
    kiosk.show_banner(None);
    assert!(h.frame().2 == shown, "the page changed under the banner");
    // A picture that does not decode shows no banner.
    kiosk.show_banner(Some(b"not a png"));
    assert!(h.frame().2 == shown, "a bad banner changed the page");

    // The statement goes (another id): the reader gives way to the library.
    let renamed = build("renamed", |dir| {
        for lang in ["en", "kk"] {
            let f = dir.join(format!("jspg-8-2026.{lang}.md"));
            let text = std::fs::read_to_string(&f).unwrap();
            std::fs::write(&f, text.replacen("jspg-8-2026", "jspg-8-2026b", 1)).unwrap();
        }
    });
    kiosk.reload(bitig_kiosk::content::load_bundle(&renamed).unwrap());
    assert_eq!(kiosk.screen(), Screen::Library);
}
