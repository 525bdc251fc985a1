// Where image files live. A small interface, so an S3-compatible store can replace the local disk
// without touching the image rules.
import { mkdir, rm, writeFile, rename } from "node:fs/promises";
import path from "node:path";

export interface FileStorage {
  /** Stores `data` at `key` (a relative, slash-separated path). */
  put(key: string, data: Buffer): Promise<void>;
  /** Removes everything stored under the `prefix` folder; missing is fine. */
  deletePrefix(prefix: string): Promise<void>;
}

export class LocalDiskStorage implements FileStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private pathOf(key: string): string {
    const resolved = path.resolve(this.root, key);
    // Keys are built by our code, but never let one escape the root.
    if (!resolved.startsWith(this.root + path.sep)) throw new Error(`Storage key escapes the storage root: ${key}`);
    return resolved;
  }

  async put(key: string, data: Buffer): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    // Write then rename, so a reader never sees half a file.
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, data);
    await rename(temporary, target);
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.pathOf(prefix), { recursive: true, force: true });
  }
}
