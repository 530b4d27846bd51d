import { test, expect } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { signIn } from "./helpers";

async function seriousViolations(page: import("@playwright/test").Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

test("the login page has no serious accessibility violations", async ({ page }) => {
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
  expect(await seriousViolations(page)).toEqual([]);
});

test("the settings pages have no serious accessibility violations", async ({ page }) => {
  await signIn(page);
  for (const path of ["/settings/profile", "/settings/members"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 2 }).first()).toBeVisible();
    await expect(page.locator(".loading")).toHaveCount(0);
    expect(await seriousViolations(page), path).toEqual([]);
  }
});

test("the dark theme has no serious accessibility violations either", async ({ page }) => {
  await signIn(page);
  await page.getByRole("button", { name: "Switch light/dark theme" }).click();
  const theme = await page.evaluate(() => document.documentElement.dataset.theme);
  expect(["dark", "light"]).toContain(theme);
  if (theme !== "dark") await page.getByRole("button", { name: "Switch light/dark theme" }).click();
  await page.goto("/settings/profile");
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  expect(await seriousViolations(page)).toEqual([]);
});

test("the sandbox phone has no serious accessibility violations", async ({ page }) => {
  await signIn(page);
  await page.goto("/sandbox");
  await expect(page.getByTestId("sandbox-business")).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
});
