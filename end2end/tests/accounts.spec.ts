import { test, expect, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { inviteMember, lastMail, open, signIn, unique } from "./helpers";

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

test("an invited person opens the copied link in a new browser, sets a password and signs in", async ({ page, browser }) => {
  await signIn(page);
  const email = `invitee${unique()}@e2e.test`;
  const { page: theirs, context } = await inviteMember(page, browser, { email, role: "agent", name: "Ines Invited", password: "ines-password-1" });
  await expect(theirs.getByRole("button", { name: "Sign out" })).toBeVisible();

  // The admin sees a member now, and no pending invitation.
  await open(page, "/settings/members");
  await expect(page.locator(`tr[data-email="${email}"]`)).toContainText("Ines Invited");
  await expect(page.locator(`tr[data-invited="${email}"]`)).toHaveCount(0);

  await theirs.getByRole("button", { name: "Sign out" }).click();
  await expect(theirs).toHaveURL(/\/login$/);
  await signIn(theirs, { email, password: "ines-password-1" });
  await context.close();
});

test("an admin revokes a pending invitation and its link stops working", async ({ page, browser }) => {
  await signIn(page);
  await open(page, "/settings/members");
  const email = `revoked${unique()}@e2e.test`;
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  const link = await page.getByLabel("Invitation link").inputValue();
  await page.getByRole("button", { name: `Revoke the invitation of ${email}` }).click();
  await expect(page.locator(`tr[data-invited="${email}"]`)).toHaveCount(0);

  const context = await browser.newContext();
  const theirs = await context.newPage();
  await theirs.goto(link);
  await expect(theirs.getByRole("alert")).toContainText("withdrawn");
  await expect(theirs.getByRole("alert")).toContainText("AUTH_008");
  await context.close();
});

test("a forgotten password is reset through the mailed link, once", async ({ page, browser }) => {
  await signIn(page);
  const email = `forgetful${unique()}@e2e.test`;
  const { context } = await inviteMember(page, browser, { email, role: "viewer", name: "Fred Forgetful", password: "freds-password-1" });
  await context.close();

  const fresh = await browser.newContext();
  const theirs = await fresh.newPage();
  await theirs.goto("/login");
  await theirs.getByRole("link", { name: "Forgot password?" }).click();
  await expect(theirs).toHaveURL(/\/forgot-password$/);
  await theirs.getByLabel("Email").fill(email);
  await theirs.getByRole("button", { name: "Send me a link" }).click();
  await expect(theirs.getByRole("status")).toContainText("If that address has an account");

  const mail = await lastMail(email, "/reset-password?token=");
  expect(mail).toContain("text/plain");
  expect(mail).toContain("text/html");
  const link = mail.match(/http:\/\/[^\s"<>]+\/reset-password\?token=[A-Za-z0-9_-]+/)![0];
  await theirs.goto(link);
  await theirs.getByLabel("New password (at least 10 characters)").fill("freds-new-password");
  await theirs.getByRole("button", { name: "Set password" }).click();
  await expect(theirs.getByRole("status")).toContainText("Your password is changed");

  await theirs.goto(link);
  await theirs.getByLabel("New password (at least 10 characters)").fill("someone-elses-pass");
  await theirs.getByRole("button", { name: "Set password" }).click();
  await expect(theirs.getByRole("alert")).toContainText("AUTH_008");

  await signIn(theirs, { email, password: "freds-new-password" });
  await fresh.close();
});

test("an unknown address gets the same answer on the forgot-password page", async ({ page }) => {
  await page.goto("/forgot-password");
  await page.getByLabel("Email").fill(`nobody${unique()}@e2e.test`);
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expect(page.getByRole("status")).toContainText("If that address has an account");
});

test("the account pages have no serious accessibility violations", async ({ page }) => {
  for (const [path, button] of [
    ["/forgot-password", "Send me a link"],
    ["/reset-password?token=x", "Set password"],
    ["/verify-email?token=x", "Confirm my address"],
  ]) {
    await page.goto(path);
    await expect(page.getByRole("button", { name: button })).toBeEnabled();
    expect(await seriousViolations(page), path).toEqual([]);
  }
  await page.goto("/invitations/accept?token=x");
  await expect(page.getByRole("alert")).toContainText("AUTH_008");
  expect(await seriousViolations(page), "invitation").toEqual([]);
});

test("an invitation page with a valid link has no serious accessibility violations", async ({ page, browser }) => {
  await signIn(page);
  await open(page, "/settings/members");
  await page.getByLabel("Email").fill(`axe${unique()}@e2e.test`);
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  const link = await page.getByLabel("Invitation link").inputValue();
  expect(await seriousViolations(page), "members with a pending invitation").toEqual([]);
  const context = await browser.newContext();
  const theirs = await context.newPage();
  await theirs.goto(link);
  await expect(theirs.getByRole("button", { name: "Join" })).toBeEnabled();
  expect(await seriousViolations(theirs), "invitation").toEqual([]);
  await context.close();
});

test.describe("on a phone", () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test("the account pages fit a phone", async ({ page }) => {
    for (const path of ["/forgot-password", "/reset-password?token=x", "/verify-email?token=x", "/invitations/accept?token=x"]) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
  });
});
