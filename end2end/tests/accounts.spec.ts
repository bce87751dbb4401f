import { test, expect } from './fixtures';
import { mailTo } from './mail';
import { hydrated, addFirstInStock, registerAndConfirm } from './shop';

test('sign up, confirm by mail, sign out, shop as a guest, sign in and find the cart merged', async ({ page }) => {
  const email = `shopper-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const password = 'a long and happy password';

  await registerAndConfirm(page, email, password);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your account');
  // Confirmed: the header knows it is signed in, and nothing asks to confirm again.
  await expect(page.getByTestId('account-link')).toContainText('Account');
  await expect(page.getByRole('heading', { name: 'Confirm your email' })).toHaveCount(0);

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
  await hydrated(page);
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

test('a forgotten password is reset through the link in the mail folder', async ({ page }) => {
  const email = `forgetful-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const password = 'the first long password';
  const newPassword = 'a second, better password';

  await registerAndConfirm(page, email, password);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);

  await page.goto('/account');
  await hydrated(page);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('status')).toContainText('If that email has an account');

  const mail = await mailTo(email, '/account/reset?token=');
  const link = mail.match(/https?:\/\/\S+\/account\/reset\?token=[0-9a-f]{64}/)?.[0];
  expect(link, mail).toBeTruthy();
  await page.goto(new URL(link!).pathname + new URL(link!).search);
  await hydrated(page);
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await page.getByLabel('New password again').fill(newPassword);
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page.getByTestId('account-email')).toHaveText(email);

  // The link worked once.
  await page.goto(new URL(link!).pathname + new URL(link!).search);
  await expect(page.getByRole('alert')).toContainText('expired or was already used');

  // The new password is the one that signs in.
  await page.goto('/account');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/account');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(newPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('account-email')).toHaveText(email);
});

test('registering an address that has an account says the same and tells its owner', async ({ page }) => {
  const email = `twice-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const password = 'a long and happy password';
  await registerAndConfirm(page, email, password);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);

  await page.goto('/account/register');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('somebody else entirely');
  await page.getByLabel('Password again').fill('somebody else entirely');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('status')).toContainText(`we've sent a link to ${email}`);
  const mail = await mailTo(email, 'Someone tried');
  expect(mail).toContain('Someone tried to create an account with your email');
  // Still signed out: nothing was created, nobody was signed in.
  await expect(page.getByTestId('account-link')).toContainText('Sign in');
});
