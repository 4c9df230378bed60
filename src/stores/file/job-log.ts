import { constants } from 'node:fs';
import { copyFile, lstat, open, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StoreCorruptError, StoreUnavailableError } from '../../common/errors';

const NL = 0x0a;
/** Bytes read from the log at a time (a longer line grows the buffer for itself). */
const READ_CHUNK = 8 << 20;
/** Bytes read at a time, backwards, when looking for the last newline (done before every batch). */
const TAIL_CHUNK = 64 << 10;
/** Bytes written at a time when the log is rewritten. */
const WRITE_CHUNK = 8 << 20;
const { O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_RDWR, O_WRONLY } = constants;

/** What the torn tail of the log turned out to be. */
export interface TailRepair {
  /** Bytes after the last newline. */
  bytes: number;
  /** `completed`: a whole line missing only its newline (kept); `kept-aside`: cut off and saved in `aside`. */
  outcome: 'none' | 'completed' | 'kept-aside';
  aside?: string;
}

/** One whole line read from the log, with where it starts. */
export interface LogLine {
  text: string;
  /** Byte offset of the line in the file. */
  at: number;
}

/**
 * @internal The file store's append-only log: a file of JSON lines. It reads what was appended
 * since the last read (whole lines only, in chunks: a log of any size), appends batches (undoing
 * a batch that did not fit), repairs a torn last line, and rewrites itself atomically (write a
 * new file, check its size, fsync, rename over, fsync the directory). It never follows a
 * symbolic link, and knows nothing of jobs.
 */
export class JobLog {
  private fh: FileHandle | undefined;
  private ino = 0;
  /** Bytes read (or written) so far; always at a line end. */
  offset = 0;

  /** Opened without write access (a read-only file system): reads work, writes fail. */
  readOnly = false;

  constructor(readonly path: string) {}

  get isOpen(): boolean {
    return this.fh !== undefined;
  }

  /**
   * (Re)opens the file, creating it (0600) if needed; reading starts again from the top.
   * @throws StoreCorruptError when the log is a symbolic link or not a regular file.
   */
  async open(): Promise<void> {
    await this.close();
    try {
      this.fh = await open(this.path, this.readOnly ? O_RDONLY | O_NOFOLLOW : O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ELOOP')
        throw new StoreCorruptError(`FileJobStore ${this.path} is a symbolic link; a store never follows one (left as it was)`, {
          cause: e,
        });
      throw e;
    }
    const st = await this.fh.stat();
    if (!st.isFile()) {
      await this.close();
      throw new StoreCorruptError(`FileJobStore ${this.path} is not a regular file (left as it was)`);
    }
    this.ino = st.ino;
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
      const st = await lstat(this.path);
      return { size: st.size, replaced: st.ino !== this.ino };
    } catch (e) {
      throw new StoreUnavailableError(`FileJobStore ${this.path} is gone: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * Under the lock: repairs what a writer killed mid-line left after the last newline. A whole
   * line missing only its newline (`isWhole` says) gets its newline; anything else is copied
   * beside the log (`jobs.jsonl.torn-<time>`) and cut off. Nothing is thrown away unseen.
   */
  async repairTail(isWhole: (line: string) => boolean): Promise<TailRepair> {
    const fh = this.handle();
    const { size } = await fh.stat();
    if (size === 0) return { bytes: 0, outcome: 'none' };
    let end = 0;
    // Find the last newline, reading backwards in chunks.
    for (let pos = size; pos > 0; pos -= TAIL_CHUNK) {
      const len = Math.min(pos, TAIL_CHUNK);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos - len);
      const i = buf.lastIndexOf(NL);
      if (i >= 0) {
        end = pos - len + i + 1;
        break;
      }
    }
    const bytes = size - end;
    if (bytes === 0) return { bytes: 0, outcome: 'none' };
    const tail = Buffer.alloc(bytes);
    await fh.read(tail, 0, bytes, end);
    if (isWhole(tail.toString('utf8'))) {
      await fh.write('\n');
      await fh.datasync();
      return { bytes, outcome: 'completed' };
    }
    const aside = `${this.path}.torn-${stamp()}`;
    await writeFile(aside, tail, { mode: 0o600, flag: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW });
    await fh.truncate(end);
    return { bytes, outcome: 'kept-aside', aside };
  }

  /** The whole lines between `offset` and `size` (a line still being written is read next time). */
  async readLines(size: number): Promise<LogLine[]> {
    const lines: LogLine[] = [];
    let chunk = READ_CHUNK;
    while (this.offset < size) {
      const len = Math.min(size - this.offset, chunk);
      const buf = Buffer.allocUnsafe(len);
      let got = 0;
      while (got < len) {
        const { bytesRead } = await this.handle().read(buf, got, len - got, this.offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      const end = buf.lastIndexOf(NL, got - 1) + 1;
      if (end === 0) {
        if (got < len || this.offset + got >= size) break; // an unfinished line: read next time
        chunk *= 2; // a line longer than the chunk: read it whole
        continue;
      }
      for (let start = 0; start < end;) {
        const nl = buf.indexOf(NL, start);
        if (nl > start) lines.push({ text: buf.toString('utf8', start, nl), at: this.offset + start });
        start = nl + 1;
      }
      this.offset += end;
      chunk = READ_CHUNK;
    }
    return lines;
  }

  /**
   * Appends lines with one write (and one fdatasync when `fsync`). A batch that does not land
   * whole (a full disk) is cut off again, so the log never holds half of it.
   */
  async append(lines: readonly string[], fsync: boolean): Promise<void> {
    if (lines.length === 0) return;
    const fh = this.handle();
    const start = (await fh.stat()).size;
    try {
      for (const buf of encode(lines, WRITE_CHUNK)) {
        let written = 0;
        while (written < buf.length) written += (await fh.write(buf, written, buf.length - written)).bytesWritten;
      }
      if (fsync) await fh.datasync();
    } catch (e) {
      await fh.truncate(start).catch(() => undefined);
      throw e;
    }
    this.offset = (await fh.stat()).size;
  }

  /**
   * Under the lock: replaces the log with `lines`, atomically: a new file (created afresh, never
   * through a link) is written, its size checked, fsync'd, renamed over the log, and the directory
   * fsync'd. If anything fails (a full disk), the log is left as it was.
   */
  async rewrite(lines: Iterable<string>): Promise<void> {
    const tmp = `${this.path}.compact`;
    await unlink(tmp).catch(() => undefined); // a leftover (or a planted link) is removed, not followed
    const fh = await open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      let size = 0;
      for (const buf of encode(lines, WRITE_CHUNK)) {
        let written = 0;
        while (written < buf.length) written += (await fh.write(buf, written, buf.length - written)).bytesWritten;
        size += buf.length;
      }
      await fh.datasync();
      const actual = (await fh.stat()).size;
      if (actual !== size) throw new Error(`compacted log holds ${actual} of ${size} bytes`);
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
    const aside = `${this.path}.${why}-${stamp()}`;
    await copyFile(this.path, aside, constants.COPYFILE_EXCL);
    return aside;
  }

  private handle(): FileHandle {
    if (!this.fh) throw new StoreUnavailableError(`FileJobStore ${this.path} is closed`);
    return this.fh;
  }
}

/** A timestamp for file names. */
function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** Lines as newline-terminated buffers of about `max` bytes each (no string longer than a chunk is built). */
function* encode(lines: Iterable<string>, max: number): Generator<Buffer> {
  let chunk: string[] = [];
  let size = 0;
  for (const line of lines) {
    chunk.push(line);
    size += line.length + 1;
    if (size >= max) {
      yield Buffer.from(`${chunk.join('\n')}\n`);
      chunk = [];
      size = 0;
    }
  }
  if (chunk.length > 0) yield Buffer.from(`${chunk.join('\n')}\n`);
}

async function syncDir(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
