import { test, expect, type Page } from '@playwright/test';

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 30_000 });
}

async function addFirstInStock(page: Page, query: string) {
  await page.goto(`/search?q=${query}&in_stock=1`);
  await page.getByRole('region', { name: 'Products' }).getByRole('link').first().click();
  await hydrated(page);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('status')).toContainText('Added');
}

test('sign up, sign out, shop as a guest, sign in and find the cart merged', async ({ page }) => {
  const email = `shopper-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const password = 'a long and happy password';

  await page.goto('/account/register');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password again').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your account');
  await expect(page.getByTestId('account-email')).toHaveText(email);

  // Something in the account's cart, then sign out.
  await addFirstInStock(page, 'mug');
  await page.goto('/account');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/cart');
  await expect(page.getByText('Your cart is empty.')).toBeVisible();

  // As a guest, another item.
  await addFirstInStock(page, 'tent');
  await expect(page.getByTestId('cart-count')).toHaveText('1');

  // A wrong password says so without saying which part was wrong.
  await page.goto('/account');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not my password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText("don't match an account");

  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('account-email')).toHaveText(email);
  await page.goto('/cart');
  await expect(page.getByTestId('cart-line')).toHaveCount(2);
  await expect(page.getByTestId('cart-count')).toHaveText('2');
});
