// The category tree in the back office: staff add a department, move it up among the
// others, rename it, and the shop's navigation follows at once; then delete it.
import { test, expect } from './fixtures';
import { signInAsStaff } from './shop';

test('staff add, reorder, rename and delete a department and the shop follows', async ({ page, browser }) => {
  const name = `Trail gear ${Date.now().toString(36)}`;
  await signInAsStaff(page);
  await page.goto('/admin');
  await page.getByRole('navigation', { name: 'Back office' }).getByRole('link', { name: 'Categories' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Categories');

  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Inside').selectOption({ label: 'Top level' });
  await page.getByRole('button', { name: 'Add category' }).click();
  await expect(page.getByTestId('flash')).toContainText(`Added ${name}.`);
  const rows = page.getByTestId('category-row');
  await expect(rows.last()).toContainText(name);
  await expect(page.getByRole('button', { name: `Move ${name} down` })).toHaveCount(0);

  const shopper = await (await browser.newContext()).newPage();
  await shopper.goto('/');
  await expect(shopper.getByRole('link', { name }).first()).toBeVisible();

  // One place up: no longer the last department.
  const before = await rows.allTextContents();
  await page.getByRole('button', { name: `Move ${name} up` }).click();
  await expect(page.getByRole('button', { name: `Move ${name} down` })).toBeVisible();
  expect(await rows.allTextContents()).not.toEqual(before);

  // Renamed on its own page.
  await page.getByRole('link', { name, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  await page.getByLabel('Name').fill(`${name} and more`);
  await page.getByRole('button', { name: 'Save category' }).click();
  await expect(page.getByTestId('flash')).toContainText(`Saved ${name} and more.`);
  await shopper.goto('/');
  await expect(shopper.getByRole('link', { name: `${name} and more` }).first()).toBeVisible();

  // It has no products: deleted at once.
  await page.getByRole('button', { name: 'Delete category' }).click();
  await expect(page.getByTestId('flash')).toContainText('Category deleted.');
  await expect(page).toHaveURL(/\/admin\/categories$/);
  await expect(rows.filter({ hasText: name })).toHaveCount(0);
});
