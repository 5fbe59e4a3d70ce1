import * as fs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The few filesystem calls an atomic write needs; tests substitute one to fail on purpose. */
export interface AtomicFileSystem {
  open(path: string, flags: string, mode?: number): Promise<fs.FileHandle>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: boolean }): Promise<void>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  mkdir(path: string, options: { recursive: true; mode?: number }): Promise<string | undefined>;
}

export const NODE_FILE_SYSTEM: AtomicFileSystem = fs;

/**
 * Whole-file writes that a crash or power loss cannot leave half done: write a temporary file
 * beside the target, fsync it, rename it over the target, fsync the folder. A reader sees the
 * old content or the new one, never a mix.
 */
export class AtomicFile {
  constructor(
    readonly path: string,
    private readonly files: AtomicFileSystem = NODE_FILE_SYSTEM,
  ) {}

  /** The file's content, or undefined when it does not exist. */
  async read(): Promise<string | undefined> {
    try {
      return await this.files.readFile(this.path, 'utf8');
    } catch (err) {
      if (isNotFound(err)) {
        return undefined;
      }
      throw err;
    }
  }

  async write(content: string): Promise<void> {
    const dir = dirname(this.path);
    const temp = join(dir, `.${basename(this.path)}.${process.pid}.tmp`);
    await this.files.mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      const handle = await this.files.open(temp, 'w', 0o600);
      try {
        await handle.writeFile(content, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.files.rename(temp, this.path);
    } catch (err) {
      await this.files.rm(temp, { force: true });
      throw err;
    }
    // The rename is durable only once the folder entry is.
    const dirHandle = await this.files.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT';
}
