import { type Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { hydrated } from './shop';

type Offer = { sku: string; price: string; availability: string };

/** The offers the page publishes for search engines: the ground truth for each variant. */
async function offers(page: Page): Promise<Offer[]> {
  const json = await page.locator('script[type="application/ld+json"]').first().textContent();
  return JSON.parse(json ?? '{}').offers;
}

/** The price, availability and SKU shown agree with the offer for the shown SKU. */
async function expectShownVariantConsistent(page: Page) {
  const sku = (await page.getByTestId('sku').textContent())?.trim() ?? '';
  const offer = (await offers(page)).find((o) => o.sku === sku);
  expect(offer, `an offer for ${sku}`).toBeDefined();
  const euros = Number(offer!.price).toLocaleString('en-US', { minimumFractionDigits: 2 });
  await expect(page.getByTestId('price')).toContainText(`€${euros}`);
  const availability = page.getByTestId('availability');
  if (offer!.availability.endsWith('OutOfStock')) {
    await expect(availability).toHaveText('Sold out');
    await expect(page.getByRole('button', { name: 'Sold out' })).toBeDisabled();
  } else {
    await expect(availability).toHaveText(/In stock|Only \d+ left/);
    await expect(page.getByRole('button', { name: 'Add to cart' })).toBeEnabled();
  }
  return sku;
}

test('a shopper browses from a department to a product', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('link', { name: /^Clothing/ }).last().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Clothing');
  await expect(page.getByText('60 products')).toBeVisible();
  await page.getByRole('complementary', { name: 'Filters' }).getByRole('link', { name: /^Hoodies/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hoodies');
  const breadcrumb = page.getByRole('navigation', { name: 'Breadcrumb' });
  await expect(breadcrumb.getByRole('link', { name: 'Clothing' })).toBeVisible();

  const products = page.getByRole('region', { name: 'Products' }).getByRole('listitem');
  await expect(products).toHaveCount(20);
  const name = (await products.first().getByRole('heading').textContent())?.trim() ?? '';
  await products.first().getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  await expect(page).toHaveTitle(name);
  await expectShownVariantConsistent(page);
});

test('a long category pages through its products', async ({ page }) => {
  await page.goto('/c/clothing');
  await expect(page.getByText('Page 1 of 3')).toBeVisible();
  const firstPage = await page.getByRole('region', { name: 'Products' }).getByRole('heading', { level: 3 }).allTextContents();
  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/\/c\/clothing\?page=2$/);
  await expect(page.getByText('Page 2 of 3')).toBeVisible();
  const secondPage = await page.getByRole('region', { name: 'Products' }).getByRole('heading', { level: 3 }).allTextContents();
  expect(secondPage.filter((n) => firstPage.includes(n))).toEqual([]);
  await page.getByRole('link', { name: '← Previous' }).click();
  await expect(page.getByText('Page 1 of 3')).toBeVisible();
});

test('choosing a variant updates price, availability and SKU without a reload', async ({ page }) => {
  await page.goto('/c/hoodies');
  await page.getByRole('region', { name: 'Products' }).getByRole('link').first().click();
  await hydrated(page);
  await page.evaluate(() => ((window as any).mercatoMarker = 7));
  const first = await expectShownVariantConsistent(page);

  const colours = page.getByRole('group', { name: /Colour/ }).getByRole('link');
  const count = await colours.count();
  expect(count).toBeGreaterThan(1);
  const seen = new Set([first]);
  for (let i = 0; i < count; i++) {
    await colours.nth(i).click();
    await expect(colours.nth(i)).toHaveAttribute('aria-current', 'true');
    await expect(page).toHaveURL(/\?variant=\d+$/);
    seen.add(await expectShownVariantConsistent(page));
  }
  expect(seen.size).toBeGreaterThan(1);
  expect(await page.evaluate(() => (window as any).mercatoMarker)).toBe(7);
});

/** The number in the listing's "N products" line. */
async function resultCount(page: Page): Promise<number> {
  const text = (await page.getByTestId('result-count').textContent()) ?? '';
  return text.startsWith('No') ? 0 : Number(text.replace(/[^0-9]/g, ''));
}

/** The count a facet checkbox's label promises. */
async function facetCount(page: Page, id: string): Promise<number> {
  const label = page.locator(`label[for="${id}"]`);
  return Number((await label.locator('span.text-xs').textContent())?.trim());
}

async function shownPrices(page: Page): Promise<number[]> {
  await expect(page.getByRole('region', { name: 'Products' }).getByRole('listitem').first()).toBeVisible();
  const texts = await page
    .getByRole('region', { name: 'Products' })
    .getByRole('listitem')
    .locator('p span.font-semibold')
    .allTextContents();
  return texts.map((t) => Number(t.replace(/[^0-9.]/g, '')));
}

test('filters and sorting apply as soon as they change, each view a page of its own', async ({ page }) => {
  await page.goto('/c/clothing');
  await hydrated(page);
  const all = await resultCount(page);

  const promised = await facetCount(page, 'opt-size-xs');
  await page.locator('#opt-size-xs').check();
  await expect(page).toHaveURL(/opt=Size%3AXS/);
  await expect(page.getByTestId('result-count')).toHaveText(`${promised} products`);
  expect(promised).toBeLessThan(all);

  // Each change loads the listing's page; its controls apply once its code runs.
  await hydrated(page);
  await page.getByLabel('Sort by').selectOption('price_asc');
  await expect(page).toHaveURL(/sort=price_asc/);
  await expect(page).toHaveURL(/opt=Size%3AXS/);
  // The new order arrives with the page it loads; wait for it rather than read the old one.
  await expect
    .poll(async () => {
      const prices = await shownPrices(page);
      return prices.length > 1 && prices.every((p, i) => i === 0 || prices[i - 1] <= p);
    })
    .toBe(true);

  await hydrated(page);
  const inStock = await facetCount(page, 'in-stock');
  await page.locator('#in-stock').check();
  await expect(page).toHaveURL(/in_stock=1/);
  await expect(page.getByTestId('result-count')).toHaveText(`${inStock} products`);
  await expect(page.getByText('Sold out')).toHaveCount(0);

  await page.getByRole('link', { name: 'Clear all' }).click();
  await expect(page.getByTestId('result-count')).toHaveText(`${all} products`);
  await hydrated(page);
  await page.getByLabel('Sort by').selectOption('price_desc');
  // The pager belongs to the new listing once its link carries the new order.
  const next = page.getByRole('link', { name: 'Next →' });
  await expect(next).toHaveAttribute('href', /sort=price_desc/);
  await next.click();
  await expect(page).toHaveURL(/\/c\/clothing\?sort=price_desc&page=2$/);
  await expect(page.getByText('Page 2 of 3')).toBeVisible();

  // The URL alone reproduces a view.
  await page.goto('/c/clothing?opt=Size%3AXS&sort=price_asc');
  await expect(page.getByTestId('result-count')).toHaveText(`${promised} products`);
  await expect(page.locator('#opt-size-xs')).toBeChecked();
});

test('a search with a typo still finds the product', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const box = page.getByRole('banner').getByRole('searchbox');
  await box.fill('hoodei');
  await box.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Results for “hoodei”');
  await expect(page.getByRole('status')).toContainText('Did you mean hoodie?');
  const names = page.getByRole('region', { name: 'Products' }).getByRole('heading', { level: 3 });
  await expect(names.first()).toContainText('Hoodie');
  await page.getByRole('status').getByRole('link', { name: 'hoodie' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Results for “hoodie”');
  await expect(page.getByRole('status')).toHaveCount(0);
});

test('a search that finds nothing says so and offers products', async ({ page }) => {
  await page.goto('/search?q=xylophone');
  await expect(page.getByText('No products match “xylophone”')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Popular right now' })).toBeVisible();
});

test('an unknown product gets the 404 page', async ({ page }) => {
  const res = await page.goto('/p/no-such-thing');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText("We couldn't find that page");
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('listings page and variants switch through plain links', async ({ page }) => {
    await page.goto('/c/clothing');
    await page.getByRole('link', { name: 'Next →' }).click();
    await expect(page.getByText('Page 2 of 3')).toBeVisible();

    await page.goto('/c/t-shirts');
    await page.getByRole('region', { name: 'Products' }).getByRole('link').first().click();
    const first = await expectShownVariantConsistent(page);
    const sizes = page.getByRole('group', { name: /Size/ }).getByRole('link');
    await sizes.last().click();
    await expect(page).toHaveURL(/\?variant=\d+$/);
    const second = await expectShownVariantConsistent(page);
    expect(second).not.toBe(first);
  });

  test('filters and sorting work through the plain GET form', async ({ page }) => {
    await page.goto('/c/clothing');
    const promised = await facetCount(page, 'opt-size-xs');
    await page.locator('#opt-size-xs').check();
    await page.getByLabel('Sort by').selectOption('price_desc');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect(page).toHaveURL(/opt=Size%3AXS/);
    await expect(page).toHaveURL(/sort=price_desc/);
    await expect(page.getByTestId('result-count')).toHaveText(`${promised} products`);
    const prices = await shownPrices(page);
    expect(prices).toEqual([...prices].sort((a, b) => b - a));

    await page.locator('#opt-size-xs').uncheck();
    await page.getByLabel('Min', { exact: true }).fill('50');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect(page).toHaveURL(/min_price=50/);
    for (const price of await shownPrices(page)) expect(price).toBeGreaterThanOrEqual(50);

    await page.goto('/search?q=hoodei');
    await expect(page.getByRole('status')).toContainText('Did you mean hoodie?');
    await expect(page.getByRole('region', { name: 'Products' }).getByRole('heading', { level: 3 }).first()).toContainText('Hoodie');
  });
});
