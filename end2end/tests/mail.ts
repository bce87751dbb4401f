import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from '@playwright/test';

/** The folder the shop writes mail to while no SMTP server is configured. */
export function mailDir(): string {
  const data = process.env.MERCATO_E2E_DATA_DIR;
  if (!data) throw new Error('MERCATO_E2E_DATA_DIR is not set (playwright.config.ts sets it)');
  return path.join(data, 'mail');
}

/** Waits for the newest mail to `to` (whose text contains `containing`, when given) and
 *  returns its text. Files are named `<outbox id>-<kind>.eml`: newest is highest id. */
export async function mailTo(to: string, containing?: string): Promise<string> {
  let found = '';
  await expect
    .poll(
      () => {
        const dir = mailDir();
        if (!fs.existsSync(dir)) return '';
        const mails = fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.eml'))
          .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
          .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
          .filter((m) => m.includes(`To: ${to}\r\n`))
          .filter((m) => !containing || m.includes(containing));
        found = mails.at(-1) ?? '';
        return found;
      },
      { timeout: 15_000, message: `a mail to ${to} in ${mailDir()}` },
    )
    .not.toBe('');
  return found;
}
