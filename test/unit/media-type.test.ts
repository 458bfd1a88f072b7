import {
  detectMediaType,
  JPEG,
  MediaSniffer,
  mediaTypeByMime,
  MP4,
  PNG,
  SNIFF_BYTES,
} from '../../src/shared/evidence/media-type';

const jpegHead = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
const pngHead = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]);
const mp4Head = Buffer.from([0x00, 0x00, 0x00, 0x20, ...Buffer.from('ftypisom')]);

describe('detectMediaType', () => {
  it('when the bytes start with a known signature, then the type and extension follow from it', () => {
    expect(detectMediaType(jpegHead)).toEqual({ mime: 'image/jpeg', ext: 'jpg' });
    expect(detectMediaType(pngHead)).toEqual({ mime: 'image/png', ext: 'png' });
    expect(detectMediaType(mp4Head)).toEqual({ mime: 'video/mp4', ext: 'mp4' });
  });

  it('when the bytes are unknown, too short, or a near miss, then the type is undefined', () => {
    expect(detectMediaType(Buffer.from('{"code":"0"}'))).toBeUndefined();
    expect(detectMediaType(Buffer.alloc(0))).toBeUndefined();
    expect(detectMediaType(Buffer.from([0xff, 0xd8]))).toBeUndefined();
    expect(detectMediaType(pngHead.subarray(0, 7))).toBeUndefined();
    expect(detectMediaType(Buffer.from('ftypisom'))).toBeUndefined(); // ftyp must sit at offset 4
    expect(detectMediaType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0b]))).toBeUndefined();
  });

  it('when just the minimum is given, then 3 bytes tell a JPEG and 8 a PNG or MP4', () => {
    expect(detectMediaType(jpegHead.subarray(0, 3))).toBe(JPEG);
    expect(detectMediaType(pngHead.subarray(0, 8))).toBe(PNG);
    expect(detectMediaType(mp4Head.subarray(0, 8))).toBe(MP4);
  });
});

describe('MediaSniffer', () => {
  it('when the head arrives one byte at a time, then the type is known once SNIFF_BYTES were seen', () => {
    const sniffer = new MediaSniffer();
    const bytes = [...mp4Head, 1, 2, 3];
    bytes.forEach((b, i) => expect(sniffer.push(Buffer.from([b]))).toBe(i + 1 >= SNIFF_BYTES));
    expect(sniffer.type).toBe(MP4);
  });

  it('when the stream is shorter than SNIFF_BYTES, then what was seen still decides', () => {
    const sniffer = new MediaSniffer();
    sniffer.push(Buffer.from([0xff, 0xd8, 0xff, 0xdb]));
    expect(sniffer.done).toBe(false);
    expect(sniffer.type).toBe(JPEG);
  });
});

describe('mediaTypeByMime', () => {
  it('when the MIME type is known, then its media type comes back, case-insensitively', () => {
    expect(mediaTypeByMime('IMAGE/JPEG')).toBe(JPEG);
    expect(mediaTypeByMime('application/pdf')).toBeUndefined();
  });
});
