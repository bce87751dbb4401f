// The back office: an admin invites a member with a role, the member accepts through
// the mailed link and sees only what the role allows; deactivated, they are signed out
// at once; the audit log shows who did what.
import { test, expect } from './fixtures';
import { mailTo } from './mail';
import { signInAsStaff } from './shop';

test('an admin invites a fulfilment member, who gets only their role, and deactivates them', async ({
  page,
  browser,
}) => {
  const email = `fulfil-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const password = 'a long enough staff password';

  await signInAsStaff(page);
  await page.goto('/admin');
  const nav = page.getByRole('navigation', { name: 'Back office' });
  await expect(nav.getByRole('link', { name: 'Dashboard' })).toHaveAttribute('aria-current', 'page');
  await nav.getByRole('link', { name: 'Staff' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Staff');

  // A mistake first: the message by the field, and the role chosen is kept.
  await page.getByLabel('Email').fill('not an address');
  await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Fulfilment' });
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByText("That doesn't look like an email address")).toBeVisible();
  await expect(page.getByLabel('Role', { exact: true })).toHaveValue(/^role-\d+$/);
  await expect(page.getByLabel('Email')).toHaveValue('not an address');

  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Fulfilment' });
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByTestId('flash')).toContainText(`Invitation sent to ${email}`);
  const row = page.getByTestId('staff-row').filter({ hasText: email });
  await expect(row).toContainText('Fulfilment');
  await expect(row).toContainText('Invited');

  // The member accepts in a browser of their own.
  const theirs = await browser.newContext();
  const member = await theirs.newPage();
  const mail = await mailTo(email, '/account/reset?token=');
  const link = mail.match(/https?:\/\/\S+\/account\/reset\?token=[0-9a-f]{64}/)?.[0];
  expect(link, mail).toBeTruthy();
  const url = new URL(link!);
  await member.goto(url.pathname + url.search);
  await member.getByLabel('New password', { exact: true }).fill(password);
  await member.getByLabel('New password again').fill(password);
  await member.getByRole('button', { name: 'Set the new password' }).click();
  await expect(member.getByTestId('account-email')).toHaveText(email);
  await member.goto('/admin');
  await expect(member.getByTestId('admin-me')).toHaveText(email);
  const theirNav = member.getByRole('navigation', { name: 'Back office' });
  await expect(theirNav.getByRole('link', { name: 'Dashboard' })).toBeVisible();
  await expect(theirNav.getByRole('link', { name: 'Staff' })).toHaveCount(0);
  await member.goto('/admin/staff');
  await expect(member.getByText('it needs the staff permission')).toBeVisible();
  // Fulfilment is not the catalog: no Products section, and no way into the editor.
  await expect(theirNav.getByRole('link', { name: 'Products' })).toHaveCount(0);
  for (const path of ['/admin/products', '/admin/products/new', '/admin/products/1', '/admin/imports']) {
    await member.goto(path);
    await expect(member.getByText('it needs the catalog permission').first()).toBeVisible();
    await expect(member.getByRole('button', { name: /Save|Upload/ })).toHaveCount(0);
  }

  // Deactivated: the member's very next page finds them signed out.
  await page
    .getByTestId('staff-row')
    .filter({ hasText: email })
    .getByRole('button', { name: `Deactivate ${email}` })
    .click();
  await expect(page.getByTestId('flash')).toContainText('Account deactivated');
  await expect(page.getByTestId('staff-row').filter({ hasText: email })).toContainText('Deactivated');
  await member.goto('/admin');
  await expect(member.getByRole('heading', { name: 'Sign in to the back office' })).toBeVisible();
  await theirs.close();

  // Who did what.
  await page.getByRole('navigation', { name: 'Back office' }).getByRole('link', { name: 'Audit log' }).click();
  const entries = page.getByTestId('audit-entry').filter({ hasText: email });
  await expect(entries.filter({ hasText: 'Invited someone to the staff' })).toHaveCount(1);
  await expect(entries.filter({ hasText: 'Deactivated a staff account' })).toHaveCount(1);
  // Only what the admin did to accounts, today: the filters stay in the URL.
  const filters = page.getByRole('search');
  await filters.getByLabel('Staff member').selectOption({ label: 'e2e-admin@mercato.test' });
  await filters.getByLabel('About').selectOption({ label: 'Accounts' });
  const today = new Date().toISOString().slice(0, 10);
  await filters.getByLabel('From (UTC)').fill(today);
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/kind=user/);
  await expect(entries.filter({ hasText: 'Deactivated a staff account' })).toHaveCount(1);
  await expect(page.getByTestId('audit-entry').filter({ hasText: 'Adjusted stock' })).toHaveCount(0);
  for (const row of await page.getByTestId('audit-entry').all()) {
    await expect(row).toContainText('e2e-admin@mercato.test');
    await expect(row).toContainText('user ');
  }
});
