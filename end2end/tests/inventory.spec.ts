// Stock in the back office: staff restock a sold-out variant, and a shopper can buy it
// at once; a mistake gets its message beside the field; every movement says who and why.
import { test, expect } from './fixtures';
import { hydrated, signInAsStaff } from './shop';

test('staff restock a sold-out variant and a shopper can then add it to the cart', async ({
  page,
  browser,
}) => {
  await signInAsStaff(page);
  await page.goto('/admin');
  const nav = page.getByRole('navigation', { name: 'Back office' });
  await nav.getByRole('link', { name: 'Inventory' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Inventory');
  await page.getByLabel('Show').selectOption({ label: 'Sold out' });
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/show=sold-out/);
  // A variant of a product shoppers can see (drafts are marked).
  const row = page.getByTestId('stock-row').filter({ hasNotText: /Draft|Archived/ }).first();
  await expect(row).toContainText('Sold out');
  await row.getByRole('link').click();
  await expect(nav.getByRole('link', { name: 'Inventory' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByTestId('on-hand')).toHaveText('0');
  const shopLink = await page.getByRole('link', { name: 'View in the shop' }).getAttribute('href');
  expect(shopLink).toBeTruthy();

  // The shopper finds it sold out.
  const shopper = await (await browser.newContext()).newPage();
  await shopper.goto(shopLink!);
  await expect(shopper.getByRole('button', { name: 'Sold out' })).toBeDisabled();

  // A mistake first: the message beside the field, what was typed kept.
  await page.getByLabel('Units').fill('-4');
  await page.getByLabel('Reason').selectOption({ label: 'Restock' });
  await page.getByRole('button', { name: 'Adjust stock' }).click();
  await expect(page.getByText('Restock adds units')).toBeVisible();
  await expect(page.getByLabel('Units')).toHaveValue('-4');

  await page.getByLabel('Units').fill('5');
  await page.getByLabel('Reason').selectOption({ label: 'Restock' });
  await page.getByLabel('Note').fill('E2E delivery');
  await page.getByRole('button', { name: 'Adjust stock' }).click();
  await expect(page.getByTestId('flash')).toContainText('Stock adjusted: 5 on hand now.');
  await expect(page.getByTestId('on-hand')).toHaveText('5');
  const movement = page.getByTestId('movement').first();
  await expect(movement).toContainText('+5');
  await expect(movement).toContainText('Restock');
  await expect(movement).toContainText('e2e-admin@mercato.test');
  await expect(movement).toContainText('E2E delivery');

  // At once, not when the shop's kept pages expire.
  await shopper.goto(shopLink!);
  await hydrated(shopper);
  await shopper.getByRole('button', { name: 'Add to cart' }).click();
  await expect(shopper.getByRole('status')).toContainText('Added');
  await shopper.getByTestId('cart-link').click();
  await expect(shopper.getByTestId('cart-line')).toHaveCount(1);
});

test('a search that finds nothing says so, and clearing the filters goes back', async ({ page }) => {
  await signInAsStaff(page);
  await page.goto('/admin/inventory?show=all&q=zzz-no-such');
  await expect(page.getByText('No variant matches this search.')).toBeVisible();
  await page.getByRole('link', { name: 'Clear filters' }).click();
  await expect(page).toHaveURL(/\/admin\/inventory$/);
});

test('staff stop tracking a sold-out variant in the editor and a shopper can then buy it', async ({
  page,
  browser,
}) => {
  await signInAsStaff(page);
  await page.goto('/admin/inventory?show=sold-out');
  // Not the first: the restock test takes that one.
  const row = page.getByTestId('stock-row').filter({ hasNotText: /Draft|Archived/ }).nth(1);
  await expect(row).toContainText('Sold out');
  await row.getByRole('link').click();
  await expect(page.getByTestId('on-hand')).toHaveText('0');
  const variantPage = page.url();
  const variant = new URL(variantPage).pathname.split('/').pop()!;
  const shopLink = await page.getByRole('link', { name: 'View in the shop' }).getAttribute('href');

  await page.getByRole('link', { name: 'Edit product' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  const variantRow = page
    .getByTestId('variant-row')
    .filter({ has: page.locator(`a[href="/admin/inventory/${variant}"]`) });
  const box = variantRow.getByRole('checkbox', { name: /Don't track the stock of/ });
  await expect(box).not.toBeChecked();
  await box.check();
  await page.getByRole('button', { name: 'Save product' }).click();
  await expect(page.getByTestId('flash')).toBeVisible();
  await expect(
    page
      .getByTestId('variant-row')
      .filter({ has: page.locator(`a[href="/admin/inventory/${variant}"]`) })
      .getByRole('checkbox', { name: /Don't track the stock of/ }),
  ).toBeChecked();

  // The shopper can buy it at once, with nothing on hand.
  const shopper = await (await browser.newContext()).newPage();
  await shopper.goto(shopLink!);
  await hydrated(shopper);
  await expect(shopper.getByText('In stock')).toBeVisible();
  await shopper.getByRole('button', { name: 'Add to cart' }).click();
  await expect(shopper.getByRole('status')).toContainText('Added');

  // Staff see it as not tracked, and no longer among what is sold out.
  await page.goto(variantPage);
  await expect(page.getByTestId('not-tracked')).toContainText('always for sale');
  await expect(page.getByText('Not tracked', { exact: true })).toBeVisible();
  await page.goto('/admin/inventory?show=sold-out');
  await expect(page.locator(`a[href="/admin/inventory/${variant}"]`)).toHaveCount(0);
});
