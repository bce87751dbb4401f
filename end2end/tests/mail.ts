import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from '@playwright/test';

/** The folder the shop writes mail to while no SMTP server is configured. */
export function mailDir(): string {
  const data = process.env.MERCATO_E2E_DATA_DIR;
  if (!data) throw new Error('MERCATO_E2E_DATA_DIR is not set (playwright.config.ts sets it)');
  return path.join(data, 'mail');
}

/** Waits for the newest mail to `to` and returns its text. */
export async function mailTo(to: string): Promise<string> {
  let found = '';
  await expect
    .poll(
      () => {
        const dir = mailDir();
        if (!fs.existsSync(dir)) return '';
        const mails = fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.eml'))
          .sort()
          .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
          .filter((m) => m.includes(`To: ${to}\r\n`));
        found = mails.at(-1) ?? '';
        return found;
      },
      { timeout: 15_000, message: `a mail to ${to} in ${mailDir()}` },
    )
    .not.toBe('');
  return found;
}
