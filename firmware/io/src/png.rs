//! The one PNG codec: 8-bit gray, RGB or RGBA, in memory or as files (written durably).

use std::io;
use std::path::Path;

/// How a pixel is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Gray,
    Rgb,
    Rgba,
}

impl Color {
    pub fn channels(self) -> usize {
        match self {
            Color::Gray => 1,
            Color::Rgb => 3,
            Color::Rgba => 4,
        }
    }
}

/// A decoded picture: `width` x `height` pixels of `color`, 8 bits a channel, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub color: Color,
    pub data: Vec<u8>,
}

impl Image {
    /// The picture as RGB (gray spread over three channels, alpha dropped).
    pub fn to_rgb(&self) -> Vec<u8> {
        match self.color {
            Color::Rgb => self.data.clone(),
            Color::Gray => self.data.iter().flat_map(|&g| [g, g, g]).collect(),
            Color::Rgba => self
                .data
                .chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect(),
        }
    }
}

/// Encodes `data` (`width` x `height` pixels of `color`) as PNG.
pub fn encode(width: u32, height: u32, color: Color, data: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(match color {
            Color::Gray => png::ColorType::Grayscale,
            Color::Rgb => png::ColorType::Rgb,
            Color::Rgba => png::ColorType::Rgba,
        });
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(io::Error::other)?;
        w.write_image_data(data).map_err(io::Error::other)?;
    }
    Ok(out)
}

/// Decodes a PNG into 8-bit gray, RGB or RGBA (palettes and other depths are expanded; gray
/// with alpha becomes RGBA).
pub fn decode(bytes: &[u8]) -> io::Result<Image> {
    let mut dec = png::Decoder::new(io::Cursor::new(bytes));
    dec.set_transformations(png::Transformations::normalize_to_color8());
    let mut r = dec.read_info().map_err(io::Error::other)?;
    let size = r
        .output_buffer_size()
        .ok_or_else(|| io::Error::other("PNG too large"))?;
    let mut buf = vec![0; size];
    let info = r.next_frame(&mut buf).map_err(io::Error::other)?;
    buf.truncate(info.buffer_size());
    let (color, data) = match info.color_type {
        png::ColorType::Grayscale => (Color::Gray, buf),
        png::ColorType::Rgb => (Color::Rgb, buf),
        png::ColorType::Rgba => (Color::Rgba, buf),
        png::ColorType::GrayscaleAlpha => (
            Color::Rgba,
            buf.chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0], p[1]])
                .collect(),
        ),
        png::ColorType::Indexed => {
            return Err(io::Error::other("indexed PNG left unexpanded"));
        }
    };
    Ok(Image {
        width: info.width,
        height: info.height,
        color,
        data,
    })
}

/// Reads and decodes a PNG file; the error names the file.
pub fn read(path: &Path) -> io::Result<Image> {
    let bytes = std::fs::read(path)?;
    decode(&bytes).map_err(|e| io::Error::other(format!("{}: {e}", path.display())))
}

/// Encodes and writes a PNG file durably (see [`crate::durable::write`]).
pub fn write(path: &Path, width: u32, height: u32, color: Color, data: &[u8]) -> io::Result<()> {
    crate::durable::write(path, &encode(width, height, color, data)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_each_color() {
        for (color, data) in [
            (Color::Gray, vec![0, 128, 255, 7]),
            (Color::Rgb, (0..12).collect::<Vec<u8>>()),
            (Color::Rgba, (0..16).collect::<Vec<u8>>()),
        ] {
            let png = encode(2, 2, color, &data).unwrap();
            let img = decode(&png).unwrap();
            assert_eq!((img.width, img.height, img.color), (2, 2, color));
            assert_eq!(img.data, data);
        }
    }

    #[test]
    fn refuses_what_is_not_png() {
        assert!(decode(b"not a png").is_err());
    }
}
