// The back office's product list: filters live in the URL, and a bulk action says how
// many products it changes before and after it does.
import { test, expect } from './fixtures';
import { signInAsStaff } from './shop';

test('staff archive two candles in bulk, then publish them again', async ({ page }) => {
  await signInAsStaff(page);
  await page.goto('/admin');
  await page.getByRole('navigation', { name: 'Back office' }).getByRole('link', { name: 'Products' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Products');
  const filters = page.getByRole('search');
  await filters.getByLabel('Category').selectOption({ label: 'Home & living › Candles' });
  await filters.getByLabel('Sort by').selectOption({ label: 'Name (A–Z)' });
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/category=\d+/);
  const rows = page.getByTestId('product-row');
  await expect(rows.first()).toContainText('Candles');
  const names = [
    (await rows.nth(0).getByRole('rowheader').textContent())!.trim(),
    (await rows.nth(1).getByRole('rowheader').textContent())!.trim(),
  ];
  // The list as it was (its own canonical URL: empty filters left out).
  const category = new URL(page.url()).searchParams.get('category');
  const listUrl = new URL(`/admin/products?category=${category}`, page.url()).href;

  for (const [action, verb, done, status] of [
    ['Archive', 'Archive', 'Archived', 'Archived'],
    ['Publish', 'Publish', 'Published', 'Active'],
  ]) {
    for (const name of names) await page.getByLabel(`Choose ${name}`).check();
    const bulk = page.getByRole('toolbar', { name: 'Bulk actions' });
    await bulk.getByLabel('With the chosen products').selectOption({ label: action });
    await bulk.getByRole('button', { name: 'Continue' }).click();
    // Nothing has changed yet: the count and the names, then the button says it again.
    await expect(page.getByRole('heading', { level: 2 })).toHaveText(`${verb} 2 products?`);
    for (const name of names) await expect(page.getByTestId('chosen')).toContainText(name);
    await page.getByRole('button', { name: `${verb} 2 products` }).click();
    await expect(page.getByTestId('flash')).toContainText(`${done} 2 products.`);
    expect(page.url()).toBe(listUrl);
    for (const name of names) {
      await expect(rows.filter({ hasText: name })).toContainText(status);
    }
  }
});

test('a product list filter that finds nothing offers to clear it', async ({ page }) => {
  await signInAsStaff(page);
  await page.goto('/admin/products?q=zzz-no-such-product&stock=low');
  await expect(page.getByText('No product matches these filters.')).toBeVisible();
  await page.getByRole('link', { name: 'Clear filters' }).click();
  await expect(page.getByTestId('product-row').first()).toBeVisible();
});
