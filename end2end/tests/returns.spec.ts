// A return, end to end: a guest's delivered order, a return asked on the order page
// (with the link from the mail), staff approve it from the returns list, mark the
// parcel received (back in stock) and refund it; the shopper sees each step and has the
// mails.
import { test, expect } from './fixtures';
import { mailTo } from './mail';
import { buyAsGuest, signInAsStaff, uniqueEmail } from './shop';

test('a shopper asks for a return, staff approve, receive and refund it, and the shopper sees each step', async ({ page, browser }) => {
  const email = uniqueEmail('return');
  // A candle: the first mug's colour has 8, and the other specs buy about that many.
  const number = await buyAsGuest(page, 'candle', email, 2);
  await page.context().clearCookies();

  // Staff ship it and mark it delivered.
  await signInAsStaff(page);
  await page.goto(`/admin/orders/${number}`);
  const line = page.getByTestId('order-line');
  const sku = ((await line.locator('.font-mono').textContent()) ?? '').trim();
  const name = ((await line.locator('td').first().textContent()) ?? '').replace(sku, '').trim();
  await page.getByLabel('Carrier').selectOption({ label: 'DHL' });
  await page.getByRole('button', { name: 'Ship', exact: true }).click();
  await expect(page.getByTestId('status')).toHaveText('Shipped');
  await page.getByRole('button', { name: 'Mark delivered' }).click();
  await expect(page.getByTestId('status')).toHaveText('Delivered');

  // The shopper, with the link from their mail, in a browser of their own.
  const shopper = await (await browser.newContext()).newPage();
  const confirmation = await mailTo(email, 'Thank you for your order');
  const link = confirmation.match(/https?:\/\/\S+\/orders\/\d+\?key=[0-9a-f]+/)?.[0];
  expect(link, confirmation).toBeTruthy();
  const orderPage = new URL(link!);
  await shopper.goto(orderPage.pathname + orderPage.search);
  const form = shopper.getByRole('region', { name: 'Return items' });
  await form.locator('summary').click();
  await expect(form).toContainText('You can ask to return delivered items until');
  // Nothing chosen and no reason: said by the fields, nothing asked.
  await form.getByRole('button', { name: 'Ask to return' }).click();
  await expect(shopper.getByText(/Say in a few words why/)).toBeVisible();
  await expect(shopper.getByTestId('return')).toHaveCount(0);
  // The form comes back open, with what was wrong beside it.
  const again = shopper.getByRole('region', { name: 'Return items' });
  await expect(again.locator('details')).toHaveAttribute('open', '');
  await again.getByLabel(name).selectOption('1');
  await again.getByLabel('Why are you returning them?').fill('The colour is not what I hoped <i>for</i>');
  await again.getByRole('button', { name: 'Ask to return' }).click();
  await expect(shopper.getByRole('status')).toContainText('We have your return request');
  const asked = shopper.getByTestId('return');
  await expect(asked).toHaveCount(1);
  await expect(asked.getByTestId('return-state')).toHaveText('Requested');
  await expect(asked).toContainText(`1 × ${name}`);
  await expect(asked).toContainText('The colour is not what I hoped <i>for</i>');
  await expect(asked.locator('i')).toHaveCount(0);
  expect(await mailTo(email, 'We have your return request')).toContain(`1 × ${name}`);

  // Staff find it in the returns list and approve it.
  await page.goto('/admin/returns');
  const row = page.getByTestId('return-row').filter({ hasText: `#${number}` });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('return-state')).toHaveText('Requested');
  await row.getByRole('link').click();
  await expect(page.getByRole('heading', { name: `Order ${number}`, level: 1 })).toBeVisible();
  const ret = page.getByTestId('staff-return');
  await ret.getByLabel(/Words to the customer/).fill('Thanks, the label is in the box.');
  await ret.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('status')).toContainText('Return approved');
  await expect(page.getByTestId('staff-return').getByTestId('return-state')).toHaveText('Approved');
  const approved = await mailTo(email, 'is approved');
  expect(approved).toContain('Thanks, the label is in the box.');
  expect(approved).toContain('How to send them back:');

  // The shopper sees how to send it back.
  await shopper.reload();
  await expect(shopper.getByTestId('return').getByTestId('return-state')).toHaveText('Approved');
  await expect(shopper.getByTestId('return-instructions')).toBeVisible();

  // The parcel is back: the unit goes back in stock.
  const received = page.getByTestId('staff-return');
  await received.getByText('The parcel came back').click();
  await expect(received.getByLabel(`${name} back in stock`)).toHaveValue('1');
  await received.getByRole('button', { name: 'Mark received' }).click();
  await expect(page.getByRole('status')).toContainText('Marked received');
  await expect(page.getByTestId('staff-return').getByTestId('return-state')).toHaveText('Received');
  expect(await mailTo(email, 'is back with us')).toContain(`1 × ${name}`);

  // Refunded through the refund path: the amount is the unit's share.
  const value = ((await page.getByTestId('return-value').textContent()) ?? '').match(/€\d+\.\d\d/)?.[0];
  expect(value).toBeTruthy();
  await page.getByRole('button', { name: 'Refund the return' }).click();
  await expect(page.getByRole('status')).toContainText(`Refunded ${value}`);
  await expect(page.getByTestId('staff-return').getByTestId('return-state')).toHaveText('Refunded');
  await expect(page.getByTestId('status')).toHaveText('Partly refunded');
  await expect(page.getByTestId('refund')).toContainText(value!);

  // Back in stock once, with the movement saying why.
  await page.goto(`/admin/inventory?show=all&q=${encodeURIComponent(sku)}`);
  await page.getByTestId('stock-row').first().getByRole('link').click();
  // Other tests may buy the same candle at the same time: the return's movement is
  // found by its order, not by being the newest.
  const restocked = page.getByTestId('movement').filter({ hasText: `Order ${number}, return received` });
  await expect(restocked).toHaveCount(1);
  await expect(restocked).toContainText('+1');

  // The shopper: refunded, the refund mail, and the other unit can still go back.
  expect(await mailTo(email, 'A refund for your Mercato order')).toContain(`We have refunded ${value} for your order ${number}.`);
  await shopper.reload();
  await expect(shopper.getByTestId('return').getByTestId('return-state')).toHaveText('Refunded');
  await expect(shopper.getByTestId('refund')).toContainText(`${value} · Refunded`);
  await expect(shopper.getByRole('region', { name: 'Return items' })).toBeVisible();
});
