import { test, expect } from "@playwright/test";
import { ADMIN, inviteMember, open, reload, signIn, unique } from "./helpers";

test("a wrong password is refused with AUTH_001", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("AUTH_001");
  await expect(page).toHaveURL(/\/login$/);
});

test("an admin changes the time zone, it persists, adds a member and signs out", async ({ page, browser }) => {
  await signIn(page);
  await expect(page.getByTestId("version")).toHaveText(/^v\d+\.\d+\.\d+/);

  await page.getByRole("link", { name: "Settings" }).first().click();
  await expect(page).toHaveURL(/\/settings\/profile$/);
  const zone = page.getByLabel("Time zone");
  const next = (await zone.inputValue()) === "Asia/Kolkata" ? "Europe/Paris" : "Asia/Kolkata";
  await zone.selectOption(next);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved.");

  await reload(page);
  await expect(page.getByLabel("Time zone")).toHaveValue(next);

  await page.getByRole("link", { name: "Members" }).click();
  await expect(page).toHaveURL(/\/settings\/members$/);
  const email = `agent${unique()}@e2e.test`;
  const invitee = await inviteMember(page, browser, { email, role: "agent", name: "Agent Smith", password: "agent-password-1" });
  await invitee.context.close();
  await reload(page);
  await expect(page.locator(`tr[data-invited="${email}"]`)).toHaveCount(0);
  const row = page.locator(`tr[data-email="${email}"]`);
  await expect(row).toContainText("Agent Smith");
  await expect(row.getByRole("combobox")).toHaveValue("agent");
  await row.getByRole("combobox").selectOption("manager");
  await expect(page.getByRole("status").filter({ hasText: "Role changed." })).toBeVisible();
  await reload(page);
  await expect(page.locator(`tr[data-email="${email}"]`).getByRole("combobox")).toHaveValue("manager");

  const removable = page.locator(`tr[data-email="${email}"]`);
  await removable.getByRole("button", { name: "Remove" }).click();
  await removable.getByRole("button", { name: "Confirm removal" }).click();
  await expect(page.locator(`tr[data-email="${email}"]`)).toHaveCount(0);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/settings/members");
  await expect(page).toHaveURL(/\/login$/);
});

test("the new member signs in as an agent and cannot manage members", async ({ page, browser }) => {
  await signIn(page);
  const email = `viewer${unique()}@e2e.test`;
  const { page: agentPage, context: other } = await inviteMember(page, browser, { email, role: "agent", name: "Vera Agent", password: "agent-password-2" });
  await agentPage.getByRole("button", { name: "Sign out" }).click();
  await expect(agentPage).toHaveURL(/\/login$/);
  await signIn(agentPage, { email, password: "agent-password-2" });
  await agentPage.goto("/settings/members");
  await expect(agentPage.getByTestId("members-table")).toBeVisible();
  await expect(agentPage.getByRole("button", { name: "Invite", exact: true })).toHaveCount(0);
  await expect(agentPage.getByTestId("invitations-table")).toHaveCount(0);
  await expect(agentPage.getByRole("button", { name: "Remove" })).toHaveCount(0);
  await other.close();
});
