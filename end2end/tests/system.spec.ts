import { test, expect } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { open, signIn } from "./helpers";

test("an admin finds the background jobs under Settings → System, on a phone too, with no serious accessibility violations", async ({ page }) => {
  await signIn(page);
  await open(page, "/settings/profile");
  await page.getByRole("link", { name: "System" }).click();
  await expect(page).toHaveURL(/\/settings\/system$/);
  await expect(page.getByRole("heading", { name: "Background jobs" })).toBeVisible();
  await expect(page.getByTestId("jobs-empty").or(page.getByTestId("jobs-table"))).toBeVisible();
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByRole("heading", { name: "Background jobs" })).toBeVisible();
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help}`);
  expect(serious).toEqual([]);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, "nothing scrolls sideways at 390 px").toBeLessThanOrEqual(0);
});
