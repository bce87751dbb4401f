// The product editor: staff add a product with two options, give two of its
// combinations a SKU and a price, fix a mistyped price, publish it, add a picture and
// stock it; a shopper then finds it by search, sees the picture and buys it.
import { test, expect } from './fixtures';
import { hydrated, signInAsStaff } from './shop';

test('staff create a product with two options and a picture, and a shopper finds and buys it', async ({
  page,
  browser,
}) => {
  const name = `Tidewater Rain Shell ${Date.now().toString(36)}`;
  await signInAsStaff(page);
  await page.goto('/admin/products');
  await page.getByRole('link', { name: 'Add a product' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('New product');

  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Description').first().fill('Taped seams.\n\nPacks into its own pocket.');
  await page.getByLabel('Category').selectOption({ index: 1 });
  await page.getByLabel('Option 1 name').fill('Size');
  await page.getByLabel('Option 1 values').fill('S, M');
  await page.getByLabel('Option 2 name').fill('Colour');
  await page.getByLabel('Option 2 values').fill('Slate, Kelp');
  await page.getByRole('button', { name: 'Save product' }).click();
  await expect(page.getByTestId('flash')).toContainText(`Added ${name}.`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  // A row for each combination, none created yet.
  await expect(page.getByTestId('variant-row')).toHaveCount(4);
  await expect(page.getByText('Not created yet')).toHaveCount(4);

  const sku = `TRS-${Date.now().toString(36).toUpperCase()}`;
  await page.getByLabel('SKU, S / Slate', { exact: true }).fill(`${sku}-S`);
  await page.getByLabel('Price, S / Slate', { exact: true }).fill('129');
  await page.getByLabel('SKU, M / Kelp', { exact: true }).fill(`${sku}-M`);
  await page.getByLabel('Price, M / Kelp', { exact: true }).fill('1,129.505');
  await page.getByLabel('Status').selectOption({ label: 'Active' });
  await page.getByRole('button', { name: 'Save product' }).click();
  // More decimals than euros have: said beside the price, nothing typed lost.
  await expect(page.getByText('EUR has 2 decimals: 1,129.505 would have to be rounded.')).toBeVisible();
  await expect(page.getByLabel('Price, M / Kelp', { exact: true })).toHaveValue('1,129.505');
  await expect(page.getByLabel('SKU, S / Slate', { exact: true })).toHaveValue(`${sku}-S`);

  await page.getByLabel('Price, M / Kelp', { exact: true }).fill('139.50');
  await page.getByLabel('Status').selectOption({ label: 'Active' });
  await page.getByRole('button', { name: 'Save product' }).click();
  await expect(page.getByTestId('flash')).toContainText(`Saved ${name}.`);
  await expect(page.getByText('Not created yet')).toHaveCount(2);
  await expect(page.getByTestId('last-change')).toContainText('e2e-admin@mercato.test');

  // A picture: its type is read from its bytes (a PNG, whatever its name says).
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'base64',
  );
  // Alt text is required (the browser asks first; the server refuses without it too).
  await expect(page.getByLabel('Alt text')).toHaveAttribute('required', '');
  await page.getByLabel('Picture', { exact: true }).setInputFiles({ name: 'shell.jpg', mimeType: 'image/jpeg', buffer: png });
  await page.getByLabel('Alt text').fill('Tidewater shell in slate');
  await page.getByRole('button', { name: 'Upload picture' }).click();
  await expect(page.getByTestId('flash')).toContainText('Picture added.');
  await expect(page.getByTestId('picture')).toContainText('Tidewater shell in slate');

  // Stock for S / Slate, from its row.
  await page.getByTestId('variant-row').filter({ hasText: 'S / Slate' }).getByRole('link', { name: '0' }).click();
  await page.getByLabel('Units').fill('3');
  await page.getByRole('button', { name: 'Adjust stock' }).click();
  await expect(page.getByTestId('on-hand')).toHaveText('3');

  // A shopper finds it by a word of its name and buys it.
  const shopper = await (await browser.newContext()).newPage();
  await shopper.goto('/search?q=tidewater');
  await shopper.getByRole('region', { name: 'Products' }).getByRole('link', { name }).first().click();
  await expect(shopper.getByRole('heading', { level: 1 })).toHaveText(name);
  await expect(shopper.getByText('Packs into its own pocket.')).toBeVisible();
  await expect(shopper.getByRole('img', { name: 'Tidewater shell in slate' }).first()).toBeVisible();
  await hydrated(shopper);
  await shopper.getByRole('button', { name: 'Add to cart' }).click();
  await expect(shopper.getByRole('status')).toContainText('Added');
  await shopper.getByTestId('cart-link').click();
  await expect(shopper.getByTestId('cart-line')).toContainText(name);
  await expect(shopper.getByTestId('cart-line')).toContainText('€129.00');
});
