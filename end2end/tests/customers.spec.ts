// Customers in the back office: staff find a shopper by email, see their orders and
// spend, leave a note and send a password reset mail; an administrator downloads the
// shopper's data and anonymises the account, which can then no longer sign in.
import { test, expect } from './fixtures';
import { mailTo } from './mail';
import { registerAndConfirm, signInAsStaff, uniqueEmail } from './shop';

test('staff find a customer, note and reset mail, and an administrator downloads and anonymises them', async ({ page, browser }) => {
  const email = uniqueEmail('customer');
  const password = 'a long enough shopper password';
  const shopper = await (await browser.newContext()).newPage();
  await registerAndConfirm(shopper, email, password);

  await signInAsStaff(page);
  await page.goto('/admin/customers');
  await page.getByLabel('Email, name or account number').fill(email.split('@')[0]);
  await page.getByRole('button', { name: 'Search' }).click();
  const row = page.getByTestId('customer-row');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(email);
  await row.getByRole('link', { name: email }).click();
  await expect(page.getByRole('heading', { name: email, level: 1 })).toBeVisible();
  await expect(page.getByText('No orders yet.')).toBeVisible();

  // A note: only text, kept with who wrote it.
  await page.getByLabel('Add a note').fill('Asked about <b>gift</b> wrapping');
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByRole('status')).toContainText('Note added');
  await expect(page.getByTestId('customer-note')).toContainText('Asked about <b>gift</b> wrapping');
  await expect(page.getByTestId('customer-note').locator('b')).toHaveCount(0);

  // A reset mail, as "forgot your password" sends.
  await page.getByRole('button', { name: 'Send a password reset mail' }).click();
  await expect(page.getByRole('status')).toContainText('Reset mail sent');
  expect(await mailTo(email, '/account/reset?token=')).toContain('Reset your Mercato password');

  // The data, as JSON.
  const href = await page.getByRole('link', { name: /Download everything we keep about them/ }).getAttribute('href');
  const id = href?.match(/^\/admin\/customers\/(\d+)\/data\.json$/)?.[1];
  expect(id, href ?? '').toBeTruthy();
  const download = await page.request.get(href!);
  expect(download.status()).toBe(200);
  expect(download.headers()['content-disposition']).toContain(`customer-${id}.json`);
  const data = await download.json();
  expect(data.account.email).toBe(email);

  // Anonymised: asks for the confirmation first.
  await page.getByText('Anonymise this customer').click();
  await page.getByRole('button', { name: 'Anonymise', exact: true }).click();
  await expect(page.getByText('Tick the box to say you understand')).toBeVisible();
  await page.getByLabel('I understand this cannot be undone.').check();
  await page.getByRole('button', { name: 'Anonymise', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Anonymised');
  await expect(page.getByTestId('customer-anonymised')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^anonymised-\d+@anonymised$/);

  // The shopper's session ended, and signing in again fails.
  await shopper.goto('/account');
  await expect(shopper.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await shopper.getByLabel('Email').fill(email);
  await shopper.getByLabel('Password').fill(password);
  await shopper.getByRole('button', { name: 'Sign in' }).click();
  await expect(shopper.getByRole('alert')).toContainText("don't match an account");
});
