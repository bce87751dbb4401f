import { type Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { hydrated } from './shop';

/** Opens the first product of a category that has its chosen variant in stock. */
async function openProductInStock(page: Page) {
  await page.goto('/search?q=tee&in_stock=1');
  await page.getByRole('region', { name: 'Products' }).getByRole('link').first().click();
  await expect(page.getByRole('button', { name: 'Add to cart' })).toBeEnabled();
}

test('a guest adds to the cart, changes the quantity and removes the line', async ({ page }) => {
  await openProductInStock(page);
  await hydrated(page);
  const name = (await page.getByRole('heading', { level: 1 }).textContent())?.trim() ?? '';
  await page.getByLabel('Quantity').fill('2');
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('status')).toContainText(`Added ${name}`);
  await expect(page.getByTestId('cart-count')).toHaveText('2');

  await page.getByRole('status').getByRole('link', { name: 'View cart' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your cart');
  const line = page.getByTestId('cart-line');
  await expect(line).toHaveCount(1);
  await expect(line).toContainText(name);
  const unit = await line.locator('p span.font-semibold').first().textContent();
  const euros = (s: string | null) => Number((s ?? '').replace(/[^0-9.]/g, ''));
  await expect(page.getByTestId('subtotal')).toHaveText(
    `€${(2 * euros(unit)).toLocaleString('en-US', { minimumFractionDigits: 2 })}`,
  );

  await line.getByLabel('Quantity').fill('3');
  await line.getByRole('button', { name: 'Update' }).click();
  await expect(page.getByTestId('cart-count')).toHaveText('3');
  await expect(line.getByTestId('line-total')).toHaveText(
    `€${(3 * euros(unit)).toLocaleString('en-US', { minimumFractionDigits: 2 })}`,
  );

  // The browser refuses 0 before it is sent (the server would too, with a message).
  await line.getByLabel('Quantity').fill('0');
  await line.getByRole('button', { name: 'Update' }).click();
  expect(await line.getByLabel('Quantity').evaluate((el: HTMLInputElement) => el.validity.rangeUnderflow)).toBe(true);
  await expect(page.getByTestId('cart-count')).toHaveText('3');

  await line.getByRole('button', { name: /Remove/ }).click();
  await expect(page.getByText('Your cart is empty.')).toBeVisible();
  await expect(page.getByTestId('cart-link')).toHaveAttribute('aria-label', 'Cart, 0 items');
  await expect(page.getByTestId('cart-count')).toHaveCount(0);

  // The cart survives a reload: it lives on the server, found through the session.
  await page.goto('/');
  await expect(page.getByTestId('cart-link')).toHaveAttribute('aria-label', 'Cart, 0 items');
  await expect(page.getByTestId('cart-count')).toHaveCount(0);
});

test('a coupon is refused with a reason, applied, and removed', async ({ page }) => {
  await openProductInStock(page);
  await hydrated(page);
  await page.getByLabel('Quantity').fill('3');
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('status')).toContainText('Added');
  await page.getByTestId('cart-link').click();
  await expect(page.getByTestId('cart-line')).toHaveCount(1);
  await hydrated(page);

  const coupon = page.getByRole('region', { name: 'Coupon' });
  await coupon.getByLabel('Code').fill('spring');
  await coupon.getByRole('button', { name: 'Apply' }).click();
  await expect(coupon.getByRole('alert')).toHaveText('The code SPRING has expired.');

  // Once per customer needs a confirmed account: a guest is told so.
  await coupon.getByLabel('Code').fill('welcome10');
  await coupon.getByRole('button', { name: 'Apply' }).click();
  await expect(coupon.getByRole('alert')).toContainText('limited per customer');

  await coupon.getByLabel('Code').fill('take10');
  await coupon.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByTestId('coupon-code')).toHaveText('TAKE10');
  await expect(page.getByTestId('discount')).toContainText('−');
  const subtotal = await page.getByTestId('subtotal').textContent();
  await expect(page.getByTestId('total')).not.toHaveText(subtotal ?? '');

  await coupon.getByRole('button', { name: 'Remove coupon' }).click();
  await expect(page.getByTestId('discount')).toHaveCount(0);
  await expect(page.getByTestId('total')).toHaveText(subtotal ?? '');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('adding to the cart is a plain form post that lands on the cart', async ({ page }) => {
    await openProductInStock(page);
    const name = (await page.getByRole('heading', { level: 1 }).textContent())?.trim() ?? '';
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await expect(page).toHaveURL(/\/cart$/);
    await expect(page.getByTestId('cart-line')).toContainText(name);
    await expect(page.getByTestId('cart-count')).toHaveText('1');

    await page.getByTestId('cart-line').getByLabel('Quantity').fill('2');
    await page.getByRole('button', { name: 'Update' }).click();
    await expect(page.getByTestId('cart-count')).toHaveText('2');
    await page.getByRole('button', { name: /Remove/ }).click();
    await expect(page.getByText('Your cart is empty.')).toBeVisible();
  });

  test('a coupon is applied and removed through plain form posts', async ({ page }) => {
    await openProductInStock(page);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await expect(page).toHaveURL(/\/cart$/);
    const coupon = page.getByRole('region', { name: 'Coupon' });
    await coupon.getByLabel('Code').fill('nope');
    await coupon.getByRole('button', { name: 'Apply' }).click();
    await expect(coupon.getByRole('alert')).toContainText('know the code NOPE');
    await coupon.getByLabel('Code').fill('take10');
    await coupon.getByRole('button', { name: 'Apply' }).click();
    await expect(page.getByTestId('flash')).toHaveText('Coupon TAKE10 applied: 10% off.');
    await expect(page.getByTestId('coupon-code')).toHaveText('TAKE10');
    await coupon.getByRole('button', { name: 'Remove coupon' }).click();
    await expect(page.getByTestId('flash')).toHaveText('Coupon removed.');
    await expect(page.getByTestId('coupon-code')).toHaveCount(0);
  });
});
