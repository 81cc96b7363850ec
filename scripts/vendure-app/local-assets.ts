// Product images for the test and demo store: files kept on local disk and served under /assets,
// the preview being the file itself (no image processing library to install for a test store).
import { createReadStream, createWriteStream, promises as fs } from 'fs';
import path from 'path';
import { pipeline } from 'stream/promises';
import { Readable, Stream } from 'stream';
import type { AssetPreviewStrategy, AssetStorageStrategy, RequestContext } from '@vendure/core';

export class LocalAssetStorage implements AssetStorageStrategy {
  constructor(private readonly dir: string, private readonly baseUrl: string) {}

  private pathOf(identifier: string): string {
    const file = path.resolve(this.dir, identifier);
    if (!file.startsWith(path.resolve(this.dir) + path.sep)) throw new Error(`asset identifier outside the asset folder: ${identifier}`);
    return file;
  }

  async writeFileFromBuffer(fileName: string, data: Buffer): Promise<string> {
    await fs.mkdir(path.dirname(this.pathOf(fileName)), { recursive: true });
    await fs.writeFile(this.pathOf(fileName), data);
    return fileName;
  }

  async writeFileFromStream(fileName: string, data: Stream): Promise<string> {
    await fs.mkdir(path.dirname(this.pathOf(fileName)), { recursive: true });
    await pipeline(data as Readable, createWriteStream(this.pathOf(fileName)));
    return fileName;
  }

  readFileToBuffer(identifier: string): Promise<Buffer> { return fs.readFile(this.pathOf(identifier)); }

  async readFileToStream(identifier: string): Promise<Stream> { return createReadStream(this.pathOf(identifier)); }

  deleteFile(identifier: string): Promise<void> { return fs.rm(this.pathOf(identifier), { force: true }); }

  fileExists(fileName: string): Promise<boolean> { return fs.access(this.pathOf(fileName)).then(() => true, () => false); }

  toAbsoluteUrl(_request: unknown, identifier: string): string { return `${this.baseUrl}/assets/${identifier}`; }
}

export class SameFilePreview implements AssetPreviewStrategy {
  async generatePreviewImage(_ctx: RequestContext, _mimeType: string, data: Buffer): Promise<Buffer> { return data; }
}
