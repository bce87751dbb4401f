// Accessibility: axe-core on one page of every kind, a shopper's and staff's, and the
// product panel driven by keyboard alone.
import { type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { test, expect } from './fixtures';
import { addFirstInStock, buyAsGuest, hydrated, registerAndConfirm, signInAsStaff, uniqueEmail } from './shop';

/** The serious and critical violations axe finds on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${page.url()} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`);
}

test('every kind of shopper page has no serious accessibility violation', async ({ page }) => {
  const found: string[] = [];
  for (const path of ['/', '/c/clothing', '/search?q=hoodie', '/search?q=xylophone', '/account',
    '/account/register', '/account/forgot', '/no-such-page']) {
    await page.goto(path);
    found.push(...(await seriousViolations(page)));
  }
  await page.goto('/c/hoodies');
  await page.getByRole('region', { name: 'Products' }).getByRole('link').first().click();
  await hydrated(page);
  found.push(...(await seriousViolations(page)));
  await page.goto('/cart');
  found.push(...(await seriousViolations(page)));
  await addFirstInStock(page, 'mug');
  await page.goto('/cart');
  found.push(...(await seriousViolations(page)));
  await page.goto('/checkout');
  found.push(...(await seriousViolations(page)));
  // A form sent with mistakes: the messages beside the fields.
  await page.getByRole('button', { name: 'Continue to delivery' }).click();
  await expect(page.getByRole('alert').first()).toBeVisible();
  found.push(...(await seriousViolations(page)));
  expect(found).toEqual([]);
});

test('staff pages have no serious accessibility violation', async ({ page }) => {
  await signInAsStaff(page);
  const found: string[] = [];
  for (const path of ['/admin', '/admin/staff', '/admin/audit', '/admin/inventory?show=all', '/admin/products', '/admin/products/new', '/admin/categories', '/admin/settings/shipping?zone=new', '/admin/settings/tax?rate=new']) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    found.push(...(await seriousViolations(page)));
  }
  // A variant's stock page, with its forms and movement log.
  await page.goto('/admin/inventory?show=all');
  await page.getByTestId('stock-row').first().getByRole('link').first().click();
  await expect(page.getByRole('heading', { name: 'Adjust stock' })).toBeVisible();
  found.push(...(await seriousViolations(page)));
  // A product's editor, with its options and variant table.
  await page.goto('/admin/products');
  await page.getByTestId('product-row').first().getByRole('rowheader').getByRole('link').click();
  await expect(page.getByRole('heading', { name: 'Variants' })).toBeVisible();
  found.push(...(await seriousViolations(page)));
  // A category's page, with its delete form.
  await page.goto('/admin/categories');
  await page.getByTestId('category-row').first().getByRole('link').first().click();
  await expect(page.getByRole('heading', { name: 'Delete this category' })).toBeVisible();
  found.push(...(await seriousViolations(page)));
  expect(found).toEqual([]);
});

test('the money side of the back office has no serious accessibility violation', async ({ page, browser }) => {
  // An order of its own and a customer of its own, so that their pages have content.
  const number = await buyAsGuest(page, 'bottle', uniqueEmail('axe-order'));
  const email = uniqueEmail('axe-customer');
  const shopper = await (await browser.newContext()).newPage();
  await registerAndConfirm(shopper, email, 'a long enough shopper password');
  await page.context().clearCookies();
  await signInAsStaff(page);
  const found: string[] = [];
  for (const path of ['/admin?period=90d', '/admin/orders', `/admin/orders/${number}`, '/admin/returns',
    '/admin/customers', '/admin/discounts', '/admin/discounts/new', '/admin/settings/shipping',
    '/admin/settings/tax']) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    found.push(...(await seriousViolations(page)));
  }
  // A coupon's page, with its figures and its delete form.
  await page.goto('/admin/discounts');
  await page.getByTestId('coupon-row').first().getByRole('link').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  found.push(...(await seriousViolations(page)));
  // A customer's page, with notes and the admin's data actions.
  await page.goto(`/admin/customers?q=${encodeURIComponent(email)}`);
  await page.getByTestId('customer-row').getByRole('link', { name: email }).click();
  await expect(page.getByRole('heading', { name: email, level: 1 })).toBeVisible();
  found.push(...(await seriousViolations(page)));
  expect(found).toEqual([]);
});

test('the variant picker, quantity and add to cart work by keyboard alone', async ({ page }) => {
  await page.goto('/c/t-shirts');
  await page.getByRole('region', { name: 'Products' }).getByRole('link').first().click();
  await hydrated(page);
  const sizes = page.getByRole('group', { name: /Size/ }).getByRole('link');
  const last = sizes.last();
  const sku = await page.getByTestId('sku').textContent();
  // Tab reaches the value, shows where focus is, and Enter chooses it.
  await last.focus();
  await expect(last).toBeFocused();
  const outline = await last.evaluate((el) => getComputedStyle(el).boxShadow);
  expect(outline, 'a visible focus ring').not.toBe('none');
  await page.keyboard.press('Enter');
  await expect(last).toHaveAttribute('aria-current', 'true');
  await expect(page.getByTestId('sku')).not.toHaveText(sku ?? '');
  // What the choice changed in place is announced.
  await expect(page.getByTestId('price')).toHaveAttribute('aria-live', 'polite');
  await expect(page.getByTestId('availability')).toHaveAttribute('aria-live', 'polite');
  // The quantity is a labelled number field; the button is next in the tab order.
  const quantity = page.getByRole('spinbutton', { name: 'Quantity' });
  // (A sold-out size has no add button to reach.)
  if ((await page.getByRole('button', { name: 'Add to cart' }).count()) > 0) {
    await quantity.focus();
    await page.keyboard.press('ArrowUp');
    await expect(quantity).toHaveValue('2');
    await page.keyboard.press('Tab');
    await expect(page.getByRole('button', { name: 'Add to cart' })).toBeFocused();
    await page.keyboard.press('Enter');
    // Said where a screen reader hears it: a status region.
    await expect(page.getByRole('status')).toContainText('Added');
  }
});
