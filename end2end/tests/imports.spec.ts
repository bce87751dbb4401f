// Catalog import and export: staff download the catalog, upload a file with a new
// product and a mistake, read the check's problem by line and column, apply the rest,
// and a shopper finds the new product. The forms go through without a full page load;
// without JavaScript the same page refreshes itself until the check is done.
import { readFileSync } from 'node:fs';
import { test, expect } from './fixtures';
import { signInAsStaff } from './shop';

function catalogFile(tag: string, category: string): string {
  return [
    'handle,name,status,category,description,option1_name,option1_value,sku,price,stock',
    `lantern-${tag.toLowerCase()},Storm Lantern ${tag},active,${category},"Bright, and dim\nwhen you need it",Colour,Brass,LAN-${tag}-B,39.90,5`,
    `lantern-${tag.toLowerCase()},,,,,,Black,LAN-${tag}-K,"1,034.50",2`,
    `flask-${tag.toLowerCase()},Flask ${tag},active,${category},,,,FLA-${tag},12.345,1`,
    '',
  ].join('\r\n');
}

test('staff export the catalog, import a file checked line by line, and a shopper finds what it added', async ({
  page,
  browser,
}) => {
  const tag = Date.now().toString(36).toUpperCase();
  await signInAsStaff(page);
  await page.goto('/admin/products');
  await page.getByRole('link', { name: 'Import or export' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Import and export');

  // The export: every product, one row per variant.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export the catalog' }).click(),
  ]);
  const exported = readFileSync(await download.path(), 'utf8');
  const lines = exported.replace(/^\uFEFF/, '').split('\n');
  expect(lines[0]).toBe(
    'handle,name,status,category,description,seo_title,seo_description,option1_name,option1_value,option2_name,option2_value,option3_name,option3_value,sku,price,compare_at_price,weight_grams,track_stock,stock',
  );
  expect(lines.length).toBeGreaterThan(200);
  expect(lines.some((line) => line.includes(',candles,'))).toBe(true);
  const category = 'candles';

  // The upload, checked: nothing changes yet, and the mistake is named where it is.
  await page.evaluate(() => ((window as unknown as { stayed: string }).stayed = 'no reload'));
  await page.getByLabel('CSV file').setInputFiles({
    name: 'lanterns.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(catalogFile(tag, category)),
  });
  await page.getByRole('button', { name: 'Upload and check' }).click();
  await expect(page).toHaveURL(/\/admin\/imports\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('lanterns.csv');
  const summary = page.getByTestId('import-summary');
  await expect(summary).toContainText('Would create (products)1', { timeout: 15_000 });
  const problem = page.getByTestId('import-problem');
  await expect(problem).toHaveCount(1);
  await expect(problem.locator('td').nth(0)).toHaveText('5');
  await expect(problem.locator('td').nth(1)).toHaveText('price');
  await expect(problem).toContainText('12.345 would have to be rounded');
  await expect(page.getByText('the one with problems is left out')).toBeVisible();

  // Applied by the worker; the page follows it without being reloaded.
  await page.getByRole('button', { name: 'Apply the file' }).click();
  await expect(page.getByTestId('import-summary')).toContainText('Created (products)1', { timeout: 15_000 });
  await expect(page.getByText('Applied', { exact: true }).first()).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { stayed?: string }).stayed)).toBe('no reload');

  const shopper = await (await browser.newContext()).newPage();
  await shopper.goto(`/search?q=${encodeURIComponent(`Storm Lantern ${tag}`)}`);
  await shopper.getByRole('link', { name: `Storm Lantern ${tag}` }).first().click();
  await expect(shopper.getByRole('heading', { level: 1 })).toHaveText(`Storm Lantern ${tag}`);
  await expect(shopper.getByText('Bright, and dim')).toBeVisible();
  await expect(shopper.getByText('€39.90').first()).toBeVisible();
  await shopper.close();

  // The same file again, without JavaScript: the page refreshes itself until checked,
  // and there is nothing left to apply.
  const plain = await browser.newContext({ javaScriptEnabled: false, storageState: await page.context().storageState() });
  const staff = await plain.newPage();
  await staff.goto('/admin/imports');
  await staff.getByLabel('CSV file').setInputFiles({
    name: 'again.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(catalogFile(tag, category)),
  });
  await staff.getByRole('button', { name: 'Upload and check' }).click();
  await expect(staff.getByTestId('import-summary')).toContainText('Unchanged (products)1', { timeout: 15_000 });
  await expect(staff.getByRole('button', { name: 'Apply the file' })).toHaveCount(0);
  await plain.close();
});
