// Money back: staff refund one of two units (the order shows it, the unit is back in
// stock, the shopper has the mail and sees it on their order), and a fulfilment member
// ships an order but is offered no refund and is refused one.
import type { Browser, Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { mailTo } from './mail';
import { buyAsGuest, signInAsStaff, uniqueEmail } from './shop';

test('staff refund one of two units: the order shows it, the unit is back in stock, the shopper has the mail', async ({ page }) => {
  const email = uniqueEmail('refund');
  const number = await buyAsGuest(page, 'mug', email, 2);
  await page.context().clearCookies();
  await signInAsStaff(page);
  await page.goto(`/admin/orders/${number}`);
  await expect(page.getByRole('heading', { name: `Order ${number}`, level: 1 })).toBeVisible();
  const line = page.getByTestId('order-line');
  const sku = ((await line.locator('.font-mono').textContent()) ?? '').trim();
  const name = ((await line.locator('td').first().textContent()) ?? '').replace(sku, '').trim();

  const refund = page.getByRole('region', { name: 'Refund' });
  await refund.locator('summary').click();
  await expect(refund.getByTestId('refund-left')).toContainText('is left to refund');
  // Nothing chosen: said, nothing refunded.
  await refund.getByRole('button', { name: /^Refund/ }).click();
  await expect(page.getByText('Choose items, shipping or an amount to refund.')).toBeVisible();
  await expect(page.getByTestId('refund')).toHaveCount(0);

  // One unit, back in stock: the button says how much before it is pressed.
  const form = page.getByRole('region', { name: 'Refund' });
  if (!(await form.locator('details').evaluate((d) => (d as HTMLDetailsElement).open))) {
    await form.locator('summary').click();
  }
  await form.getByLabel(name, { exact: true }).fill('1');
  await expect(form.getByLabel('Back in stock')).toBeChecked();
  await form.getByLabel('Reason (for staff)').fill('One arrived <b>chipped</b>');
  const button = form.getByRole('button', { name: /^Refund €\d+\.\d\d$/ });
  await expect(button).toBeVisible();
  const amount = ((await button.textContent()) ?? '').replace('Refund ', '').trim();
  await button.click();
  await expect(page.getByRole('status')).toContainText(`Refunded ${amount}`);
  await expect(page.getByTestId('status')).toHaveText('Partly refunded');
  await expect(page.getByTestId('payment-state')).toHaveText('Partly refunded');
  const row = page.getByTestId('refund');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(amount);
  await expect(row).toContainText(`1 × ${name} · back in stock`);
  await expect(row).toContainText('One arrived <b>chipped</b>');
  await expect(row.locator('b')).toHaveCount(0);
  await expect(page.getByTestId('history-event').last()).toContainText(`Refunded ${amount}`);

  // The unit is back in stock, with a movement saying why.
  await page.goto(`/admin/inventory?show=all&q=${encodeURIComponent(sku)}`);
  await page.getByTestId('stock-row').first().getByRole('link').click();
  // Other tests buy the same mug at the same time: the refund's movement is found by
  // its order, not by being the newest.
  const refunded = page.getByTestId('movement').filter({ hasText: `Order ${number}, refunded` });
  await expect(refunded).toHaveCount(1);
  await expect(refunded).toContainText('+1');

  // The shopper's mail, and their order page.
  const mail = await mailTo(email, 'A refund for your Mercato order');
  expect(mail).toContain(`We have refunded ${amount} for your order ${number}.`);
  const link = mail.match(/https?:\/\/\S+\/orders\/\d+\?key=[0-9a-f]+/)?.[0];
  expect(link, mail).toBeTruthy();
  await page.context().clearCookies();
  const url = new URL(link!);
  await page.goto(url.pathname + url.search);
  await expect(page.getByTestId('order-status')).toHaveText('Partly refunded');
  await expect(page.getByTestId('refund')).toContainText(`${amount} · Refunded`);
  await expect(page.getByTestId('refund')).not.toContainText('chipped');
});

/** A fulfilment member, invited by the admin in `page`, signed in in a browser of
 *  their own. */
async function fulfilmentMember(page: Page, browser: Browser): Promise<Page> {
  const email = uniqueEmail('fulfil-refund');
  const password = 'a long enough staff password';
  await page.goto('/admin/staff');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Fulfilment' });
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByTestId('flash')).toContainText(`Invitation sent to ${email}`);
  const member = await (await browser.newContext()).newPage();
  const mail = await mailTo(email, '/account/reset?token=');
  const link = mail.match(/https?:\/\/\S+\/account\/reset\?token=[0-9a-f]{64}/)?.[0];
  expect(link, mail).toBeTruthy();
  const url = new URL(link!);
  await member.goto(url.pathname + url.search);
  await member.getByLabel('New password', { exact: true }).fill(password);
  await member.getByLabel('New password again').fill(password);
  await member.getByRole('button', { name: 'Set the new password' }).click();
  await expect(member.getByTestId('account-email')).toHaveText(email);
  return member;
}

test('a fulfilment member ships an order but cannot refund it', async ({ page, browser }) => {
  const email = uniqueEmail('fulfil-ship');
  const number = await buyAsGuest(page, 'mug', email);
  await page.context().clearCookies();
  await signInAsStaff(page);
  const member = await fulfilmentMember(page, browser);

  await member.goto(`/admin/orders/${number}`);
  await expect(member.getByRole('heading', { name: `Order ${number}`, level: 1 })).toBeVisible();
  // Read-only for money: what is left, and whom to ask.
  await expect(member.getByTestId('refund-not-permitted')).toContainText('Refunds need the refunds permission');
  await expect(member.getByRole('region', { name: 'Refund' })).toHaveCount(0);
  await expect(member.getByRole('region', { name: 'Cancel the order' })).toContainText('needs the refunds permission');
  // Shipping is theirs.
  await member.getByLabel('Carrier').selectOption({ label: 'PostNL' });
  await member.getByLabel(/Tracking number/).fill('3SABCD1234567');
  await member.getByRole('button', { name: 'Ship', exact: true }).click();
  await expect(member.getByRole('status')).toContainText('Shipped');
  await expect(member.getByTestId('status')).toHaveText('Shipped');
  // And a refund sent anyway is refused.
  const res = await member.request.post('/api/admin/orders/refund', {
    form: { number, amount: '1.00', currency: 'EUR', reason: 'try' },
    headers: { Origin: new URL(member.url()).origin },
  });
  expect(res.status()).toBe(403);
  await member.reload();
  await expect(member.getByTestId('refund')).toHaveCount(0);
  await expect(member.getByTestId('payment-state')).toHaveText('Paid');
});
