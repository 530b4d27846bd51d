import { test, expect } from "@playwright/test";
import { signIn } from "./helpers";

test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

test("the login page fits a phone", async ({ page }) => {
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

test("the shell uses bottom navigation on a phone", async ({ page }) => {
  await signIn(page);
  const bottom = page.getByRole("navigation", { name: "Main navigation (mobile)" });
  await expect(bottom).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main navigation", exact: true })).toBeHidden();
  await bottom.getByRole("link", { name: "Settings" }).tap();
  await expect(page).toHaveURL(/\/settings\/profile$/);
  await expect(page.getByLabel("Time zone")).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  // Tap targets in the bottom bar are at least 44 px tall.
  const box = await bottom.getByRole("link", { name: "Home" }).boundingBox();
  expect(box!.height).toBeGreaterThanOrEqual(44);
  // Every entry is on the screen, the last one included.
  const links = bottom.getByRole("link");
  expect(await links.count()).toBeGreaterThanOrEqual(5);
  for (const link of await links.all()) {
    const b = (await link.boundingBox())!;
    expect(b.x).toBeGreaterThanOrEqual(0);
    expect(b.x + b.width).toBeLessThanOrEqual(390);
  }
});
