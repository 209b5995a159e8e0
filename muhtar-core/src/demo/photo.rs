//! The demo's photos: small valid PNG images made in code (no file to ship, no I/O),
//! attached to a few demo requests. The application stores their bytes where its
//! uploads live ([`DemoPhoto::bytes`] under [`Attachment::sha256`]).

use sha2::{Digest, Sha256};

use crate::request::Attachment;

/// One demo photo: the attachment a request names and the image's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPhoto {
    /// The attachment (media type `image/png`, size, SHA-256, file name).
    pub attachment: Attachment,
    /// The PNG file.
    pub bytes: Vec<u8>,
}

/// Width and height of a demo photo, in pixels.
const SIZE: (u32, u32) = (48, 32);

/// The demo's photos: four small PNG pictures (sky over a street in four colours), the
/// same every time.
pub fn photos() -> Vec<DemoPhoto> {
    const SCENES: [(&str, [u8; 3]); 4] = [
        ("cukur.png", [90, 90, 96]),
        ("moloz.png", [150, 120, 90]),
        ("agac.png", [60, 130, 60]),
        ("konteyner.png", [40, 90, 150]),
    ];
    SCENES
        .iter()
        .map(|(name, ground)| {
            let bytes = png(SIZE.0, SIZE.1, |x, y| {
                if y < SIZE.1 / 3 {
                    [170, 200, 235]
                } else {
                    // A little shading, so that the picture is not flat.
                    let d = ((x + y) % 8) as u8 * 3;
                    [ground[0] + d, ground[1] + d, ground[2] + d]
                }
            });
            DemoPhoto {
                attachment: Attachment {
                    media_type: "image/png".into(),
                    size: bytes.len() as u64,
                    sha256: hex::encode(Sha256::digest(&bytes)),
                    file_name: Some((*name).to_owned()),
                },
                bytes,
            }
        })
        .collect()
}

/// An 8-bit RGB PNG of `width` × `height` pixels, its image data in stored (not
/// compressed) deflate blocks.
fn png(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            raw.extend_from_slice(&pixel(x, y));
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(0xFFFF).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8 bits, RGB, deflate, no filter, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", &ihdr[..]), (b"IDAT", &zlib), (b"IEND", &[])] {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    out
}

/// CRC-32 (ISO 3309, as PNG chunks use it).
fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// Adler-32 (zlib's checksum).
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksums_are_the_standard_ones() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn the_photos_are_distinct_png_files_described_by_their_attachments() {
        let p = photos();
        assert_eq!(p.len(), 4);
        for x in &p {
            assert!(
                x.bytes.starts_with(b"\x89PNG\r\n\x1a\n")
                    && x.bytes.ends_with(&[0xAE, 0x42, 0x60, 0x82])
            );
            assert_eq!(x.attachment.size, x.bytes.len() as u64);
            assert!(x.attachment.size < 10_000);
        }
        let hashes: std::collections::HashSet<_> = p.iter().map(|x| &x.attachment.sha256).collect();
        assert_eq!(hashes.len(), 4);
    }
}
