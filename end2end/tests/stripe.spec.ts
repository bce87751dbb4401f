// Paying with Stripe in the browser, against end2end/fake-stripe.mjs (the API, a fake
// Stripe.js and the signed webhooks), on the second shop the config starts.
import { test, expect } from './fixtures';
import { addFirstInStock, fillAddress, hydrated, uniqueEmail } from './shop';

// playwright.config.ts starts it on the port after the main shop's.
const stripeShopURL = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3107) + 1}`;

test.use({ baseURL: stripeShopURL });

test('a guest pays with Stripe after a declined card, and the webhook marks the order paid', async ({ page }) => {
  await addFirstInStock(page, 'mug');
  await page.goto('/checkout');
  await hydrated(page);
  await fillAddress(page, uniqueEmail('stripe'));
  await page.getByRole('button', { name: 'Continue to delivery' }).click();
  await page.getByRole('button', { name: 'Continue to review' }).click();
  const total = (await page.getByTestId('total').textContent())?.trim() ?? '';
  await expect(page.getByText('Test payment')).toHaveCount(0);

  await page.getByRole('button', { name: 'Continue to payment' }).click();
  const card = page.getByLabel('Card number (fake Stripe)');
  await expect(card).toBeVisible();

  // Declined: said in the page; the order waits and the cart is kept.
  await card.fill('4000 0000 0000 0002');
  await page.getByRole('button', { name: `Pay ${total}` }).click();
  await expect(page.getByRole('alert')).toContainText('Your card was declined.');
  await expect(page.getByTestId('cart-count')).toHaveText('1');

  await card.fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: `Pay ${total}` }).click();
  await expect(page).toHaveURL(/\/orders\/\d+\?key=/);
  await expect(page.getByText('Thank you! Your order is placed.')).toBeVisible();
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  await expect(page.getByTestId('total')).toHaveText(total);
  await expect(page.getByTestId('cart-count')).toHaveCount(0);
});
