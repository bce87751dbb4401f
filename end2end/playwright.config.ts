import { defineConfig, devices } from '@playwright/test';
import * as os from 'node:os';
import * as path from 'node:path';

// Playwright cannot download its own browsers on our machines: Debian's Chromium is used.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const port = Number(process.env.E2E_PORT ?? 3107);
const baseURL = `http://127.0.0.1:${port}`;
// The server's data folder (its database and the mail folder the tests read mail from).
process.env.MERCATO_E2E_DATA_DIR ??= path.join(os.tmpdir(), `mercato-e2e-${port}`);
// A second shop that takes payments with Stripe, played by end2end/fake-stripe.mjs.
const stripePort = port + 1;
const fakeStripePort = port + 2;
const stripeShopURL = `http://127.0.0.1:${stripePort}`;
// The staff account the first shop is started with (tests/shop.ts signs in with it).
const adminEmail = 'e2e-admin@mercato.test';
const adminPassword = 'e2e admin password, long enough';

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: [['list']],
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath: chromium,
          // Without the background-networking flags Chromium keeps calling hosts that
          // this machine cannot reach.
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
          ],
        },
      },
    },
  ],
  // Freshly built servers on fresh databases (scripts/e2e-server.sh): the shop with test
  // cards, and one with Stripe against the local fake.
  webServer: [
    {
      command: '../scripts/e2e-server.sh',
      url: `${baseURL}/readyz`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
      gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
      // Each test names its own client in X-Forwarded-For (tests/fixtures.ts).
      env: {
        E2E_PORT: String(port),
        MERCATO_E2E_DATA_DIR: process.env.MERCATO_E2E_DATA_DIR,
        MERCATO_TRUSTED_PROXIES: '127.0.0.1',
        E2E_ADMIN_EMAIL: adminEmail,
        E2E_ADMIN_PASSWORD: adminPassword,
      },
    },
    {
      command: 'node fake-stripe.mjs',
      url: `http://127.0.0.1:${fakeStripePort}/v3/`,
      timeout: 30_000,
      reuseExistingServer: false,
      env: { FAKE_STRIPE_PORT: String(fakeStripePort), FAKE_STRIPE_SHOP_URL: stripeShopURL },
    },
    {
      command: '../scripts/e2e-server.sh',
      url: `${stripeShopURL}/readyz`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
      gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
      env: {
        E2E_PORT: String(stripePort),
        MERCATO_TRUSTED_PROXIES: '127.0.0.1',
        MERCATO_E2E_DATA_DIR: `${process.env.MERCATO_E2E_DATA_DIR}-stripe`,
        MERCATO_STRIPE_SECRET_KEY: 'sk_test_e2e',
        MERCATO_STRIPE_PUBLISHABLE_KEY: 'pk_test_e2e',
        MERCATO_STRIPE_WEBHOOK_SECRET: 'whsec_e2e',
        MERCATO_STRIPE_API_BASE: `http://127.0.0.1:${fakeStripePort}/`,
        MERCATO_STRIPE_JS_URL: `http://127.0.0.1:${fakeStripePort}/v3/`,
      },
    },
  ],
});
