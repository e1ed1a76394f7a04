// Is a system tool installed? The demo and the tests' setup ask before they lean on socat or Mosquitto.
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/**
 * An executable found through PATH. Each PATH folder's sbin sibling is searched too (/usr/bin -> /usr/sbin): Debian
 * installs mosquitto in /usr/sbin, which a non-root user's PATH lacks. Nothing outside PATH is looked at, so a
 * PATH without the tool means "not installed" (the tests simulate a bare machine that way).
 */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  const dirs = path.split(delimiter).filter((d) => d !== '');
  const withSbin = dirs.flatMap((d) => (d.endsWith('/bin') ? [d, join(dirname(d), 'sbin')] : [d]));
  for (const dir of withSbin) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}
