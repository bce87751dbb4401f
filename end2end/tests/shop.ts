// Steps every shopper-facing spec takes.
import { expect, type Page } from '@playwright/test';
import { mailTo } from './mail';

/** Waits until the page's wasm has hydrated it. */
export async function hydrated(page: Page) {
  // The debug bundle is several megabytes: on two busy cores it can take a while.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 30_000 });
}

/** Adds the first in-stock product a search finds. */
export async function addFirstInStock(page: Page, query: string, js = true) {
  await page.goto(`/search?q=${query}&in_stock=1`);
  await page.getByRole('region', { name: 'Products' }).getByRole('link').first().click();
  if (js) await hydrated(page);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  if (js) await expect(page.getByRole('status')).toContainText('Added');
  else await expect(page).toHaveURL(/\/cart$/);
}

export function uniqueEmail(who: string) {
  return `${who}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Fills the checkout's delivery address (and the email, when given). */
export async function fillAddress(page: Page, email: string | null) {
  if (email) await page.getByLabel('Email').fill(email);
  await page.getByLabel('Full name').first().fill('Grace Hopper');
  await page.getByLabel('Street address').first().fill('Keizersgracht 1');
  await page.getByLabel('Town or city').first().fill('Amsterdam');
  await page.getByLabel('Postcode').first().fill('1015 CJ');
  await page.getByLabel('Country').first().selectOption('NL');
}

/** Creates an account through the form, then confirms it with the link from its mail and
 *  the password, which signs in: the way a new shopper gets an account. */
export async function registerAndConfirm(page: Page, email: string, password: string) {
  await page.goto('/account/register');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password again').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('status')).toContainText(`we've sent a link to ${email}`);
  const mail = await mailTo(email, '/account/verify?token=');
  const link = mail.match(/https?:\/\/\S+\/account\/verify\?token=[0-9a-f]{64}/)?.[0];
  expect(link, mail).toBeTruthy();
  const url = new URL(link!);
  await page.goto(url.pathname + url.search);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Confirm and sign in' }).click();
  await expect(page.getByTestId('account-email')).toHaveText(email);
}

/** Signs in as the staff account the test shop was started with (playwright.config.ts). */
export async function signInAsStaff(page: Page) {
  await page.goto('/account');
  await page.getByLabel('Email').fill('e2e-admin@mercato.test');
  await page.getByLabel('Password').fill('e2e admin password, long enough');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('account-email')).toHaveText('e2e-admin@mercato.test');
}

/** A guest buys `units` of the first in-stock product a search finds with the test
 *  card that succeeds, with `coupon` applied in the cart when given; gives the order's
 *  number. */
export async function buyAsGuest(page: Page, query: string, email: string, units = 1, coupon?: string) {
  for (let i = 0; i < units; i++) await addFirstInStock(page, query);
  if (coupon) {
    await page.goto('/cart');
    const box = page.getByRole('region', { name: 'Coupon' });
    await box.getByLabel('Code').fill(coupon);
    await box.getByRole('button', { name: 'Apply' }).click();
    await expect(page.getByTestId('coupon-code')).toHaveText(coupon.toUpperCase());
  }
  await page.goto('/checkout');
  await hydrated(page);
  await fillAddress(page, email);
  await page.getByRole('button', { name: 'Continue to delivery' }).click();
  await page.getByLabel(/Standard/).check();
  await page.getByRole('button', { name: 'Continue to review' }).click();
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay / }).click();
  await expect(page.getByText('Thank you! Your order is placed.')).toBeVisible();
  const number = (await page.getByTestId('order-number').textContent())?.trim() ?? '';
  expect(number).toMatch(/^\d+$/);
  return number;
}
