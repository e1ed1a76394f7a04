// Ways a gate's SQLite file gets damaged (power loss on cheap flash, a bad sector, a full disk at the wrong moment),
// done to a real file: a zeroed header, a file cut short, and flipped bytes inside one page of a table.
import { closeSync, openSync, readSync, statSync, truncateSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

export type Damage = 'zeroed-header' | 'truncated' | 'cut-in-half' | 'flipped-table-page';

/** The 1-based number of a leaf page of `table` (its root, or the right-most child of an interior root). */
export function leafPageOf(path: string, table: string): { page: number; pageSize: number } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const root = db.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').pluck().get(table) as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(pageSize);
      let page = root;
      for (let depth = 0; depth < 8; depth++) {
        readSync(fd, buf, 0, pageSize, (page - 1) * pageSize);
        const hdr = page === 1 ? 100 : 0;
        if (buf[hdr] !== 0x05) break; // 0x05: interior table page; follow its right-most pointer down
        page = buf.readUInt32BE(hdr + 8);
      }
      return { page, pageSize };
    } finally {
      closeSync(fd);
    }
  } finally {
    db.close();
  }
}

export function damageFile(path: string, how: Damage, table = 'tickets'): void {
  if (how === 'cut-in-half') {
    // The header is whole, the pages after the middle are gone (a full disk during a copy, a torn restore).
    truncateSync(path, Math.floor(statSync(path).size / 2));
    return;
  }
  if (how === 'truncated') {
    // Cut inside the 100-byte header: SQLite cannot even read what the file is.
    truncateSync(path, 60);
    return;
  }
  const fd = openSync(path, 'r+');
  try {
    if (how === 'zeroed-header') {
      writeSync(fd, Buffer.alloc(4096), 0, 4096, 0);
      return;
    }
    const { page, pageSize } = leafPageOf(path, table);
    // Flip every bit of the page header and the cell pointer array (bytes 0..63 of the page), as a bad write would.
    const at = (page - 1) * pageSize;
    const buf = Buffer.alloc(64);
    readSync(fd, buf, 0, 64, at);
    for (let i = 0; i < buf.length; i++) buf[i] ^= 0xff;
    writeSync(fd, buf, 0, buf.length, at);
    if (statSync(path).size < at + 64) throw new Error('the table page is past the end of the file');
  } finally {
    closeSync(fd);
  }
}
