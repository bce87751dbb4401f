import { readFileSync } from 'node:fs';
import { test, expect } from './fixtures';
import { mailTo } from './mail';
import { buyAsGuest, signInAsStaff, uniqueEmail } from './shop';

test('staff find a new order, leave a note and ship it; the shopper sees it shipped with the link and has the mail', async ({ page }) => {
  const email = uniqueEmail('orders-list');
  const number = await buyAsGuest(page, 'mug', email);
  await page.context().clearCookies();
  await signInAsStaff(page);

  // Filter to paid orders and search the shopper's email: the list's state is its URL.
  await page.goto('/admin');
  await page.getByRole('navigation', { name: 'Back office' }).getByRole('link', { name: 'Orders' }).click();
  await expect(page.getByRole('heading', { name: 'Orders', level: 1 })).toBeVisible();
  await page.getByLabel('Number, email or name').fill(email.slice(0, email.indexOf('@') + 1));
  await page.getByLabel('Payment').selectOption('paid');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/payment=paid/);
  const row = page.getByTestId('order-row');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(`#${number}`);
  await expect(row).toContainText('Grace Hopper');
  await expect(row.getByTestId('status')).toHaveText('Paid');
  const prefix = email.slice(0, email.indexOf('@') + 1);

  // The order whole.
  await row.getByRole('link', { name: `#${number}` }).click();
  await expect(page.getByRole('heading', { name: `Order ${number}`, level: 1 })).toBeVisible();
  await expect(page.getByTestId('payment-state')).toHaveText('Paid');
  await expect(page.getByTestId('fulfilment-state')).toHaveText('Not shipped');
  await expect(page.getByTestId('order-line')).toHaveCount(1);
  await expect(page.getByTestId('payment')).toContainText('Succeeded');
  await expect(page.getByTestId('history-event')).toHaveCount(2);
  await expect(page.getByTestId('order-email')).toHaveText(email);
  await expect(page.getByTestId('customer-account')).toHaveText('Placed as a guest');

  // A note with markup is kept as text; an empty one is refused beside the field.
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByText('Write the note first.')).toBeVisible();
  await page.getByLabel('Add a note').fill('Asked to <b>leave it</b> with a neighbour');
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByTestId('order-note')).toContainText('Asked to <b>leave it</b> with a neighbour');
  await expect(page.getByTestId('order-note')).toContainText('e2e-admin@mercato.test');
  await expect(page.getByTestId('order-note').locator('b')).toHaveCount(0);

  // Ship it with a tracking number: the order is shipped, the parcel links to DHL.
  await page.getByLabel('Carrier').selectOption({ label: 'DHL' });
  await page.getByLabel(/Tracking number/).fill('JVGL 0555 1234');
  await page.getByRole('button', { name: 'Ship', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Shipped');
  await expect(page.getByTestId('status')).toHaveText('Shipped');
  await expect(page.getByTestId('fulfilment-state')).toHaveText('Shipped');
  await expect(page.getByTestId('tracking-link')).toHaveAttribute('href', /tracking-id=JVGL05551234$/);
  await expect(page.getByRole('heading', { name: 'Ship items' })).toHaveCount(0);

  // Back to the list as it was.
  await page.getByRole('link', { name: '← Back to the orders' }).click();
  await expect(page).toHaveURL(/\/admin\/orders\?/);
  const back = new URL(page.url()).searchParams;
  expect(back.get('q')).toBe(prefix);
  expect(back.get('payment')).toBe('paid');
  await expect(page.getByTestId('order-row')).toHaveCount(1);

  // The filtered list downloads as CSV with the order in it.
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download these orders as CSV' }).click();
  const file = await (await download).path();
  const csv = readFileSync(file, 'utf8');
  expect(csv.split('\n')[0]).toContain('number,placed_at,status');
  const csvRow = csv.split('\n').find((line) => line.startsWith(`${number},`)) ?? '';
  expect(csvRow).toContain(',fulfilled,paid,shipped,Grace Hopper,');
  expect(csvRow).toContain(email);

  // The shopper's mail has the tracking link and the order's; the order page says
  // shipped, with the parcel's link.
  const mail = await mailTo(email, 'on its way');
  expect(mail).toContain(`Subject: Your Mercato order ${number} is on its way`);
  expect(mail).toContain('tracking-id=JVGL05551234');
  const orderLink = mail.match(/https?:\/\/\S+\/orders\/\d+\?key=[0-9a-f]+/)?.[0];
  expect(orderLink, mail).toBeTruthy();
  await page.context().clearCookies();
  const url = new URL(orderLink!);
  await page.goto(url.pathname + url.search);
  await expect(page.getByTestId('order-status')).toHaveText('Shipped');
  await expect(page.getByTestId('tracking-link')).toHaveText('JVGL05551234');
  await expect(page.getByTestId('tracking-link')).toHaveAttribute('href', /tracking-id=JVGL05551234$/);
});

test('a guest is asked to sign in and gets no orders, nor their export', async ({ page }) => {
  await page.goto('/admin/orders');
  await expect(page.getByRole('heading', { name: 'Sign in to the back office' })).toBeVisible();
  const res = await page.request.get('/api/admin/orders/export');
  expect(res.status()).toBe(401);
});
