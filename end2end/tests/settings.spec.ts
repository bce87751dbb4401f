// Shipping and tax settings: staff move Japan into a zone of its own with one rate (a
// zone without countries is refused and keeps what was typed), set Japan's tax, and a
// shopper with a Japanese address is offered that rate and charged that tax at review.
import { test, expect } from './fixtures';
import { addFirstInStock, hydrated, signInAsStaff } from './shop';

const euros = (text: string | null) => Number((text ?? '').replace(/[^0-9.]/g, ''));

test('staff give Japan its own zone, rate and tax, and a shopper there is charged them', async ({ page, browser }) => {
  const zone = `Japan ${Date.now().toString(36)}`;
  await signInAsStaff(page);
  await page.goto('/admin');
  await page.getByRole('navigation', { name: 'Back office' }).getByRole('link', { name: 'Shipping & tax' }).click();
  await expect(page.getByRole('heading', { name: 'Shipping', level: 1 })).toBeVisible();

  // Japan leaves "Australia and Japan".
  const asia = page.getByTestId('zone').filter({ hasText: 'Australia and Japan' });
  await asia.getByRole('link', { name: 'Edit zone Australia and Japan' }).click();
  await expect(page.getByRole('heading', { name: 'Zone: Australia and Japan' })).toBeVisible();
  await page.getByRole('checkbox', { name: /^Japan/ }).uncheck();
  await page.getByRole('button', { name: 'Save zone' }).click();
  await expect(page.getByRole('status')).toContainText('Saved the zone Australia and Japan');
  await expect(page.getByTestId('unzoned')).toHaveText('Not shipped to (in no zone): Japan.');

  // A zone of its own: without a country it is refused, and the name stays.
  await page.getByRole('link', { name: 'Add a zone' }).click();
  await page.getByLabel('Name').fill(zone);
  await page.getByRole('button', { name: 'Add zone' }).click();
  await expect(page.getByText('Tick at least one country.', { exact: false })).toBeVisible();
  await expect(page.getByLabel('Name')).toHaveValue(zone);
  await page.getByRole('checkbox', { name: /^Japan/ }).check();
  await page.getByRole('button', { name: 'Add zone' }).click();
  await expect(page.getByRole('status')).toContainText(`Saved the zone ${zone}`);
  const card = page.getByTestId('zone').filter({ hasText: zone });
  await expect(card.getByTestId('zone-countries')).toHaveText('Japan');

  await card.getByRole('link', { name: `Add a rate to ${zone}` }).click();
  await page.getByLabel('Name').fill('Japan Post');
  await page.getByLabel('Price').fill('15');
  await page.getByLabel('Free from').fill('5000');
  await page.getByLabel('Arrives in, at the soonest').fill('3');
  await page.getByLabel('At the latest').fill('5');
  await page.getByRole('button', { name: 'Add rate' }).click();
  await expect(page.getByRole('status')).toContainText('Saved the rate Japan Post');
  const rate = page.getByTestId('zone').filter({ hasText: zone }).getByTestId('rate-row');
  await expect(rate).toContainText('€15.00');
  await expect(rate).toContainText('Arrives in 3–5 working days');

  // Japan's tax, renamed and lowered.
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Tax' }).click();
  await expect(page.getByRole('heading', { name: 'Tax', level: 1 })).toBeVisible();
  await page.getByTestId('tax-row').filter({ hasText: 'Japan' }).getByRole('link', { name: 'Edit Japan' }).click();
  await page.getByLabel('Tax name').fill('JCT');
  await page.getByLabel('Rate (%)').fill('8');
  await page.getByRole('button', { name: 'Save tax rate' }).click();
  await expect(page.getByRole('status')).toContainText('Saved Japan: JCT at 8 %');
  await expect(page.getByTestId('tax-row').filter({ hasText: 'Japan' })).toContainText('8 %');

  // A shopper in Japan is offered the new rate and charged the new tax.
  const shopper = await (await browser.newContext()).newPage();
  await addFirstInStock(shopper, 'candle');
  await shopper.goto('/checkout');
  await hydrated(shopper);
  await shopper.getByLabel('Email').fill('kenji@example.com');
  await shopper.getByLabel('Full name').first().fill('Kenji Sato');
  await shopper.getByLabel('Street address').first().fill('1-1 Marunouchi');
  await shopper.getByLabel('Town or city').first().fill('Tokyo');
  await shopper.getByLabel('Postcode').first().fill('100-0005');
  await shopper.getByLabel('Country').first().selectOption('JP');
  await shopper.getByRole('button', { name: 'Continue to delivery' }).click();
  const option = shopper.getByLabel(/Japan Post/);
  await expect(option).toBeVisible();
  await expect(shopper.getByText('Arrives in 3–5 working days')).toBeVisible();
  await option.check();
  await shopper.getByRole('button', { name: 'Continue to review' }).click();
  await expect(shopper.getByTestId('shipping')).toHaveText('€15.00');
  const subtotal = euros(await shopper.getByTestId('subtotal').textContent());
  const total = euros(await shopper.getByTestId('total').textContent());
  expect(total).toBeCloseTo(subtotal + 15, 2);
  // Prices include tax: 8 % of the total is inside it, named as staff named it.
  const tax = (Math.round(((subtotal + 15) * 8 / 108) * 100) / 100).toFixed(2);
  await expect(shopper.getByText(`Includes €${tax} JCT`)).toBeVisible();
});
