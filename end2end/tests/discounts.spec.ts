// Discounts in the back office: staff create a coupon (a wrong value is named beside
// its field and loses nothing typed), a shopper buys with it, the coupon's page counts
// the use and what was paid; paused, shoppers are told it can't be used now; deleted, it
// leaves the list but its figures stay under the Deleted filter.
import { test, expect } from './fixtures';
import { addFirstInStock, buyAsGuest, signInAsStaff, uniqueEmail } from './shop';

test('staff create a coupon, a shopper buys with it, staff see its figures, pause and delete it', async ({ page, browser }) => {
  const code = `E2E${Date.now().toString(36).toUpperCase()}`;
  await signInAsStaff(page);
  await page.goto('/admin/discounts');
  await page.getByRole('link', { name: 'New coupon' }).click();
  await expect(page.getByRole('heading', { name: 'New coupon', level: 1 })).toBeVisible();
  await page.getByLabel('Code').fill(code.toLowerCase());
  await page.getByLabel('Description', { exact: false }).fill('Ten off for the e2e test');
  await page.getByLabel('It gives').selectOption('percent');
  await page.getByLabel('Percentage or amount off').fill('150');
  await page.getByRole('button', { name: 'Create coupon' }).click();
  await expect(page.getByText('A percentage off is more than 0 and at most 100.')).toBeVisible();
  await expect(page.getByLabel('Code')).toHaveValue(code.toLowerCase());
  await page.getByLabel('Percentage or amount off').fill('10');
  await page.getByRole('button', { name: 'Create coupon' }).click();
  await expect(page.getByRole('heading', { name: code, level: 1 })).toBeVisible();
  await expect(page.getByTestId('coupon-state')).toHaveText('Live');
  await expect(page.getByTestId('coupon-uses')).toHaveText('0');
  const couponUrl = page.url();

  // A shopper buys with it.
  const shopper = await (await browser.newContext()).newPage();
  await buyAsGuest(shopper, 'candle', uniqueEmail('coupon'), 1, code.toLowerCase());

  await page.goto(couponUrl);
  await expect(page.getByTestId('coupon-uses')).toHaveText('1');
  await expect(page.getByTestId('coupon-paid-orders')).toHaveText('1');
  // Net paid is what the one order paid; it took 10 % off its subtotal.
  const order = page.getByTestId('coupon-order');
  await expect(order).toHaveCount(1);
  const paid = (await order.getByTestId('coupon-order-total').textContent())?.trim() ?? '';
  expect(paid).toMatch(/^€\d/);
  await expect(page.getByTestId('coupon-revenue')).toHaveText(paid);
  await expect(page.getByTestId('coupon-discounted')).toHaveText(/^€\d+\.\d\d$/);

  // The list finds it with its use.
  await page.goto('/admin/discounts');
  await page.getByLabel('Code or description').fill(code);
  await page.getByRole('button', { name: 'Apply' }).click();
  const row = page.getByTestId('coupon-row');
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('coupon-uses')).toHaveText('1');
  await row.getByRole('link', { name: code }).click();

  // Paused: a shopper is told it no longer applies.
  await page.getByRole('button', { name: 'Pause coupon' }).click();
  await expect(page.getByRole('status')).toContainText('Paused');
  await expect(page.getByTestId('coupon-state')).toHaveText('Paused');
  const other = await (await browser.newContext()).newPage();
  await addFirstInStock(other, 'hoodie');
  await other.goto('/cart');
  const box = other.getByRole('region', { name: 'Coupon' });
  await box.getByLabel('Code').fill(code);
  await box.getByRole('button', { name: 'Apply' }).click();
  await expect(box.getByRole('alert')).toHaveText(`The code ${code} can't be used at the moment. Try it again later.`);

  // Deleted: asks first, then leaves the list; its figures stay under Deleted.
  await page.getByRole('button', { name: 'Delete coupon' }).click();
  await expect(page.getByText('Tick the box to say shoppers can no longer use this code.')).toBeVisible();
  await page.getByLabel('I understand shoppers can no longer use this code.').check();
  await page.getByRole('button', { name: 'Delete coupon' }).click();
  await expect(page.getByRole('status')).toContainText(`Deleted the coupon ${code}`);
  await expect(page).toHaveURL(/\/admin\/discounts$/);
  await page.goto(`/admin/discounts?q=${code}`);
  await expect(page.getByText('No coupon matches this search. Deleted coupons are under State: Deleted.')).toBeVisible();
  await page.goto(`/admin/discounts?q=${code}&state=deleted`);
  await expect(page.getByTestId('coupon-row').getByTestId('coupon-state')).toHaveText('Deleted');
  await expect(page.getByTestId('coupon-row').getByTestId('coupon-uses')).toHaveText('1');
});
