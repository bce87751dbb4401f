import { test, expect, type Page } from '@playwright/test';

async function hydrated(page: Page) {
  // The debug bundle is several megabytes: on two busy cores it can take a while.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 30_000 });
}

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
  await page.getByRole('navigation', { name: 'Subcategories' }).getByRole('link', { name: 'Hoodies' }).click();
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
  const firstPage = await page.getByRole('region', { name: 'Products' }).getByRole('heading').allTextContents();
  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/\/c\/clothing\?page=2$/);
  await expect(page.getByText('Page 2 of 3')).toBeVisible();
  const secondPage = await page.getByRole('region', { name: 'Products' }).getByRole('heading').allTextContents();
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
});
