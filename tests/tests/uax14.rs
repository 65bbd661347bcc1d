//! UAX #14 conformance: the line break opportunities the typesetter uses
//! (`bitig_typeset::linebreak::break_opportunities`) against the Unicode Consortium's
//! LineBreakTest.txt of the same Unicode version (tests/data, see its README), every case.
#![allow(clippy::unwrap_used)]

use bitig_typeset::linebreak::{break_opportunities, UAX14_UNICODE_VERSION};

const TEST_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/LineBreakTest-18.0.0.txt.gz"
);

#[test]
fn line_break_test_file_passes() {
    use std::io::Read;
    let gz = std::fs::read(TEST_FILE).unwrap_or_else(|e| panic!("{TEST_FILE}: {e}"));
    let mut data = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut data)
        .unwrap();
    let (ma, mi, pa) = UAX14_UNICODE_VERSION;
    let want_header = format!("# LineBreakTest-{ma}.{mi}.{pa}.txt");
    assert!(
        data.starts_with(&want_header),
        "{TEST_FILE} is not {want_header}: the segmenter's data and the test file must be the same Unicode version"
    );
    let mut cases = 0;
    let mut failures = Vec::new();
    for (n, line) in data.lines().enumerate() {
        let rule = line.split('#').next().unwrap_or("").trim();
        if rule.is_empty() {
            continue;
        }
        // "× 0023 ÷ 0020 × 0030 ÷": a mark before and after every code point.
        let mut text = String::new();
        let mut expected = Vec::new();
        for tok in rule.split_whitespace() {
            match tok {
                "÷" => {
                    if !text.is_empty() {
                        expected.push(text.len());
                    }
                }
                "×" => {}
                hex => text.push(char::from_u32(u32::from_str_radix(hex, 16).unwrap()).unwrap()),
            }
        }
        let got: Vec<usize> = break_opportunities(&text).map(|(i, _)| i).collect();
        cases += 1;
        if got != expected {
            failures.push(format!(
                "line {}: {rule}: got {got:?}, want {expected:?}",
                n + 1
            ));
        }
    }
    assert!(cases > 19000, "only {cases} cases read");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
