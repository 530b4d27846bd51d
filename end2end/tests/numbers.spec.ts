import { test, expect } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { open, reload, signIn } from "./helpers";

test("an admin sees Meta's refusal when testing a number and nothing is saved", async ({ page }) => {
  await signIn(page);
  await open(page, "/settings/numbers");
  // Every org has its sandbox number.
  const rows = page.getByTestId("numbers-table").locator("tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("Sandbox");
  await expect(rows.first()).toContainText("Active");
  await expect(rows.first().getByRole("button", { name: "Remove" })).toHaveCount(0);
  await page.getByLabel("Display name").fill("Sales line");
  await page.getByLabel("Phone number id").fill("106540352242922");
  await page.getByLabel("WhatsApp Business Account id").fill("900000000000001");
  await page.getByLabel("Access token").fill("EAAG-not-a-real-token");
  await page.getByRole("button", { name: "Test connection" }).click();
  // The test server's Graph API address is closed, so the test fails clearly.
  await expect(page.getByRole("alert")).toContainText("WA_001");
  await page.getByRole("button", { name: "Save number" }).click();
  await expect(page.getByRole("alert").last()).toContainText("WA_001");
  await reload(page);
  await expect(page.getByTestId("numbers-table").locator("tbody tr")).toHaveCount(1);
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id);
  expect(serious).toEqual([]);
});

test("bad ids are refused before Meta is asked", async ({ page }) => {
  await signIn(page);
  await open(page, "/settings/numbers");
  await page.getByLabel("Display name").fill("Sales line");
  await page.getByLabel("Phone number id").fill("not-digits");
  await page.getByLabel("WhatsApp Business Account id").fill("900");
  await page.getByLabel("Access token").fill("EAAG-x");
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByRole("alert")).toContainText("VALIDATION_001");
});

test("an admin turns on round-robin assignment for the sandbox number and it stays on", async ({ page }) => {
  await signIn(page);
  await open(page, "/settings/numbers");
  await expect(page.getByTestId("auto-assign").first()).toBeEnabled();
  const sandboxRow = page.getByTestId("numbers-table").locator("tr").filter({ hasText: "Sandbox" });
  await sandboxRow.getByTestId("auto-assign").selectOption("round_robin");
  await expect(sandboxRow.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await reload(page);
  await expect(page.getByTestId("numbers-table").locator("tr").filter({ hasText: "Sandbox" }).getByTestId("auto-assign")).toHaveValue("round_robin");
  await page.getByTestId("numbers-table").locator("tr").filter({ hasText: "Sandbox" }).getByTestId("auto-assign").selectOption("off");
});
