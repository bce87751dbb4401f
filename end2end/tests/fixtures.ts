// The `test` every spec uses: Playwright's, plus two things each test gets.
// - A client address of its own. The shop trusts X-Forwarded-For from 127.0.0.1 in the
//   browser tests (MERCATO_TRUSTED_PROXIES), so each test is its own client to the rate
//   limits, as real shoppers are; otherwise parallel tests would share one address.
// - A watch on the Content-Security-Policy: any violation the page reports fails the
//   test, so a script, style or frame the policy does not allow cannot slip in.
import { test as base, expect } from '@playwright/test';

export { expect };

export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: [
    async ({ context }, use) => {
      const violations: string[] = [];
      const n = Math.floor(Math.random() * 0xffffff);
      const client = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
      // Only to the shops: a header of our own on a request to (fake) Stripe would turn
      // its simple requests into CORS preflights.
      const port = Number(process.env.E2E_PORT ?? 3107);
      const shops = new RegExp(`^http://127\\.0\\.0\\.1:(${port}|${port + 1})/`);
      await context.route(shops, (route) =>
        route.continue({ headers: { ...route.request().headers(), 'x-forwarded-for': client } }),
      );
      // Reported by the page itself (Playwright's init scripts are not subject to CSP).
      await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
        });
      });
      context.on('console', (message) => {
        const text = message.text();
        if (text.startsWith('CSP violation') || text.includes('Content Security Policy')) {
          violations.push(text);
        }
      });
      await use(violations);
      expect(violations, 'the page broke its Content-Security-Policy').toEqual([]);
    },
    { auto: true },
  ],
});
