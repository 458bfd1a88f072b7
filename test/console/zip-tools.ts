import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { ZipFile } from 'yazl';

/** Reads every entry of a zip into memory (test packages are small). */
export function readZip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error(`cannot open ${file}`));
      const out = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error(`cannot read ${entry.fileName}`));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** Rebuilds a zip, letting `mutate` change entries and `extra` add some: how a forger would edit a package. */
export async function rezip(
  src: string,
  dest: string,
  mutate: (name: string, data: Buffer) => Buffer,
  extra: [string, Buffer][] = [],
): Promise<void> {
  const entries = await readZip(src);
  const zip = new ZipFile();
  for (const [name, data] of entries) zip.addBuffer(mutate(name, data), name);
  for (const [name, data] of extra) zip.addBuffer(data, name);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(dest));
}
