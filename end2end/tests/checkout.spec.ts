import { type Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { mailTo } from './mail';
import { hydrated, addFirstInStock, uniqueEmail, fillAddress, registerAndConfirm } from './shop';

async function pay(page: Page, card: string) {
  await page.getByLabel('Card number').fill(card);
  await page.getByRole('button', { name: /^Pay / }).click();
}

test('a guest buys two products with the test card and gets the confirmation mail', async ({ page }) => {
  const email = uniqueEmail('guest');
  await addFirstInStock(page, 'tee');
  await addFirstInStock(page, 'mug');
  await page.goto('/cart');
  await expect(page.getByTestId('cart-line')).toHaveCount(2);
  await page.getByRole('link', { name: 'Check out' }).click();
  await hydrated(page);

  // A missing field is said by the field.
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Continue to delivery' }).click();
  await expect(page.getByText('Enter the full name.')).toBeVisible();

  await fillAddress(page, null);
  await page.getByRole('button', { name: 'Continue to delivery' }).click();
  await expect(page.getByText('Delivery to Netherlands')).toBeVisible();
  await page.getByLabel(/Standard/).check();
  await page.getByRole('button', { name: 'Continue to review' }).click();
  await expect(page.getByTestId('review-line')).toHaveCount(2);
  const total = (await page.getByTestId('total').textContent())?.trim() ?? '';
  await expect(page.getByRole('button', { name: `Pay ${total}` })).toBeVisible();

  await pay(page, '4242 4242 4242 4242');
  await expect(page.getByText('Thank you! Your order is placed.')).toBeVisible();
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  await expect(page.getByTestId('order-line')).toHaveCount(2);
  await expect(page.getByTestId('total')).toHaveText(total);
  await expect(page.getByTestId('cart-count')).toHaveCount(0);
  const number = (await page.getByTestId('order-number').textContent())?.trim() ?? '';

  const mail = await mailTo(email);
  expect(mail).toContain(`Subject: Your Mercato order ${number}`);
  expect(mail).toContain(`Total: ${total}`);
  const link = mail.match(/https?:\/\/\S+\/orders\/\d+\?key=[0-9a-f]+/)?.[0];
  expect(link, mail).toBeTruthy();
  // Paid: the cart is empty.
  await page.goto('/cart');
  await expect(page.getByText('Your cart is empty.')).toBeVisible();
  // The link opens the order for whoever has the mail, signed in or not.
  await page.context().clearCookies();
  await page.goto(new URL(link!).pathname + new URL(link!).search);
  await expect(page.getByTestId('order-number')).toHaveText(number);
});

test('a declined card says so and keeps the cart', async ({ page }) => {
  await addFirstInStock(page, 'tent');
  await page.goto('/checkout');
  await hydrated(page);
  await fillAddress(page, uniqueEmail('declined'));
  await page.getByRole('button', { name: 'Continue to delivery' }).click();
  await page.getByRole('button', { name: 'Continue to review' }).click();
  await pay(page, '4000 0000 0000 0002');
  await expect(page.getByRole('alert')).toContainText('Your card was declined.');
  await page.goto('/cart');
  await expect(page.getByTestId('cart-line')).toHaveCount(1);
  await expect(page.getByText(/sold out|left/)).toHaveCount(0);
});

test('a signed-in shopper buys with a saved address and finds the order in the history', async ({ page }) => {
  const email = uniqueEmail('member');
  const password = 'a long and happy password';
  await registerAndConfirm(page, email, password);

  await page.goto('/account/addresses/new');
  await hydrated(page);
  await fillAddress(page, null);
  await page.getByRole('button', { name: 'Save address' }).click();
  await expect(page.getByTestId('address')).toHaveCount(1);

  await addFirstInStock(page, 'tee');
  await page.goto('/checkout');
  // The default address and the account's email are filled in.
  await expect(page.getByLabel('Email')).toHaveValue(email);
  await expect(page.getByLabel('Town or city').first()).toHaveValue('Amsterdam');
  await page.getByRole('button', { name: 'Continue to delivery' }).click();
  await page.getByRole('button', { name: 'Continue to review' }).click();
  await pay(page, '4242424242424242');
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  const number = (await page.getByTestId('order-number').textContent())?.trim() ?? '';

  await page.goto('/account/orders');
  await expect(page.getByTestId('order-summary')).toHaveCount(1);
  await page.getByTestId('order-summary').getByRole('link').click();
  await expect(page.getByTestId('order-number')).toHaveText(number);
  await expect(page.getByRole('heading', { name: 'History' })).toBeVisible();
});

/** The purchase through plain form posts, as a browser without the shop's code makes it. */
async function plainPurchase(page: Page, who: string) {
  await addFirstInStock(page, 'mug', false);
  await page.getByRole('link', { name: 'Check out' }).click();
  await fillAddress(page, uniqueEmail(who));
  await page.getByRole('button', { name: 'Continue to delivery' }).click();
  await expect(page).toHaveURL(/\/checkout\/shipping$/);
  await page.getByRole('button', { name: 'Continue to review' }).click();
  await expect(page).toHaveURL(/\/checkout\/review$/);
  await pay(page, '4242 4242 4242 4242');
  await expect(page.getByText('Thank you! Your order is placed.')).toBeVisible();
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
}

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the whole purchase works through plain form posts', async ({ page }) => {
    await plainPurchase(page, 'nojs');
  });
});

test('when the shop\'s code fails to download, the purchase still works as plain HTML', async ({ page }) => {
  // JavaScript is on, but the wasm never arrives (a flaky mobile network, a blocked
  // request): nothing hydrates, and every step is a plain page load or post.
  let blocked = 0;
  await page.route(/\.wasm$/, (route) => {
    blocked += 1;
    return route.abort();
  });
  await plainPurchase(page, 'nowasm');
  expect(blocked).toBeGreaterThan(0);
  await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
});
