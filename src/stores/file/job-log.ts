import { copyFile, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StoreUnavailableError } from '../../errors';

const NL = 0x0a;

/** One whole line read from the log, with where it starts. */
export interface LogLine {
  text: string;
  /** Byte offset of the line in the file. */
  at: number;
}

/**
 * @internal The file store's append-only log: a file of JSON lines. It reads what was appended
 * since the last read (whole lines only), appends batches, cuts off a torn last line, and
 * rewrites itself atomically (write a new file, fsync, rename over, fsync the directory).
 * It knows nothing of jobs.
 */
export class JobLog {
  private fh: FileHandle | undefined;
  private ino = 0;
  /** Bytes read (or written) so far; always at a line end. */
  offset = 0;

  constructor(readonly path: string) {}

  get isOpen(): boolean {
    return this.fh !== undefined;
  }

  /** (Re)opens the file, creating it (0600) if needed; reading starts again from the top. */
  async open(): Promise<void> {
    await this.close();
    this.fh = await open(this.path, 'a+', 0o600);
    this.ino = (await this.fh.stat()).ino;
    this.offset = 0;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
  }

  /** The file's size now, and whether it was replaced (compacted by another process) since opened. */
  async probe(): Promise<{ size: number; replaced: boolean }> {
    try {
      const st = await stat(this.path);
      return { size: st.size, replaced: st.ino !== this.ino };
    } catch (e) {
      throw new StoreUnavailableError(`FileJobStore ${this.path} is gone: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Under the lock: cuts off a last line that a killed writer left unfinished; returns the bytes cut. */
  async repairTail(): Promise<number> {
    const fh = this.handle();
    const { size } = await fh.stat();
    if (size === 0) return 0;
    const chunk = Math.min(size, 64 * 1024);
    let end = 0;
    // Find the last newline, reading backwards in chunks.
    for (let pos = size; pos > 0; pos -= chunk) {
      const len = Math.min(pos, chunk);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos - len);
      const i = buf.lastIndexOf(NL);
      if (i >= 0) {
        end = pos - len + i + 1;
        break;
      }
    }
    if (end < size) await fh.truncate(end);
    return size - end;
  }

  /** The whole lines between `offset` and `size` (a line still being written is read next time). */
  async readLines(size: number): Promise<LogLine[]> {
    const len = size - this.offset;
    if (len <= 0) return [];
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await this.handle().read(buf, got, len - got, this.offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const end = buf.lastIndexOf(NL, got - 1) + 1;
    const lines: LogLine[] = [];
    for (let start = 0; start < end; ) {
      const nl = buf.indexOf(NL, start);
      if (nl > start) lines.push({ text: buf.toString('utf8', start, nl), at: this.offset + start });
      start = nl + 1;
    }
    this.offset += end;
    return lines;
  }

  /** Appends lines with one write (and one fdatasync when `fsync`). */
  async append(lines: readonly string[], fsync: boolean): Promise<void> {
    if (lines.length === 0) return;
    const buf = Buffer.from(`${lines.join('\n')}\n`);
    const fh = this.handle();
    let written = 0;
    while (written < buf.length) written += (await fh.write(buf, written, buf.length - written)).bytesWritten;
    if (fsync) await fh.datasync();
    this.offset += buf.length;
  }

  /**
   * Under the lock: replaces the log with `lines`, atomically: a new file is written and fsync'd,
   * renamed over the log, and the directory fsync'd. Reading goes on after what was written.
   */
  async rewrite(lines: Iterable<string>): Promise<void> {
    const tmp = `${this.path}.compact`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      let size = 0;
      const chunk: string[] = [];
      const flush = async (): Promise<void> => {
        const text = `${chunk.join('\n')}\n`;
        chunk.length = 0;
        await fh.write(text);
        size += Buffer.byteLength(text);
      };
      for (const line of lines) {
        chunk.push(line);
        if (chunk.length === 1000) await flush();
      }
      if (chunk.length > 0) await flush();
      await fh.datasync();
      await fh.close();
      await rename(tmp, this.path);
      await syncDir(dirname(this.path));
      await this.open();
      this.offset = size;
    } catch (e) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  /** Keeps a copy of the file as found, beside it; returns the copy's path. */
  async keepAside(why: string): Promise<string> {
    const aside = `${this.path}.${why}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await copyFile(this.path, aside);
    return aside;
  }

  private handle(): FileHandle {
    if (!this.fh) throw new StoreUnavailableError(`FileJobStore ${this.path} is closed`);
    return this.fh;
  }
}

async function syncDir(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
