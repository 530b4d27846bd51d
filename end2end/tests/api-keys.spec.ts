import { test, expect, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { open, signIn, unique } from "./helpers";

/** Records every Content-Security-Policy violation of the page (the init script runs
 * outside the page's policy). */
async function watchCsp(page: Page) {
  await page.addInitScript(() => {
    (window as unknown as { __csp: string[] }).__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as unknown as { __csp: string[] }).__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp: string[] }).__csp ?? []);
}

test("an admin creates a viewer API key, sees it once, uses it, and revokes it", async ({ page, request }) => {
  await watchCsp(page);
  await signIn(page);
  await open(page, "/settings/profile");
  await page.getByRole("link", { name: "API keys" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  const name = `BI ${unique()}`;
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Role").selectOption("viewer");
  await page.getByLabel("Expires").selectOption("30");
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.getByTestId("new-api-key").textContent())!.trim();
  expect(secret).toMatch(/^mce_/);
  const row = page.getByTestId("api-keys").locator("tr", { hasText: name });
  await expect(row).toContainText("Viewer");
  await expect(row).toContainText(secret.slice(0, 12));
  await expect(row.getByTestId("key-state")).toHaveText("Active");
  await expect(page.getByTestId("api-keys")).not.toContainText(secret.slice(12));

  const me = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).api_key.role).toBe("viewer");
  const write = await request.post("/api/v1/contacts", { headers: { Authorization: `Bearer ${secret}` }, data: { phone: "+5511900004321" } });
  expect(write.status(), "a viewer key cannot write").toBe(403);

  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await expect(row.getByTestId("key-state")).toHaveText("Revoked");
  const after = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
  expect(after.status()).toBe(401);
  expect(await cspViolations(page), "the hydrated app runs under its Content-Security-Policy").toEqual([]);
});

test("the key list pages past its first page, works at 390 px and has no serious accessibility violations", async ({ page }) => {
  await signIn(page);
  await open(page, "/settings/api-keys");
  // More keys than a page holds, made through the same server function the form uses.
  const batch = unique();
  await page.evaluate(async (batch) => {
    const csrf = document.cookie.split("; ").find((c) => c.startsWith("mce_csrf="))!.split("=")[1];
    for (let i = 0; i < 21; i++) {
      const body = new URLSearchParams({ name: `Batch ${batch} ${i}`, role: "agent", expires_in_days: "0" });
      const r = await fetch("/api/keys/create", { method: "POST", headers: { "x-csrf-token": csrf, "content-type": "application/x-www-form-urlencoded" }, body });
      if (!r.ok) throw new Error(`key ${i}: ${r.status}`);
    }
  }, batch);
  await page.reload();
  await expect(page.getByTestId("bell")).toBeEnabled();
  const pager = page.getByRole("navigation", { name: "API key pages" });
  await expect(pager).toContainText(/^1–20 of \d+/);
  await expect(page.getByTestId("api-keys").locator("tbody tr")).toHaveCount(20);
  await pager.getByRole("button", { name: "Next" }).click();
  await expect(pager).toContainText(/^21–/);
  await expect(page.getByTestId("api-keys")).toContainText(`Batch ${batch} 0`);
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help}`);
  expect(serious).toEqual([]);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, "nothing scrolls sideways at 390 px").toBeLessThanOrEqual(0);
});

test("no page of the app breaks its Content-Security-Policy", async ({ page }) => {
  await watchCsp(page);
  await signIn(page);
  for (const path of ["/", "/inbox", "/contacts", "/sandbox", "/reports", "/settings/profile", "/settings/members", "/settings/contacts", "/settings/system"]) {
    await open(page, path);
    // The chart page loads ECharts after hydration: wait until it has drawn.
    if (path === "/reports") await expect(page.getByTestId("chart")).toHaveAttribute("data-drawn", "true");
    expect(await cspViolations(page), path).toEqual([]);
  }
  await page.goto("/login");
  expect(await cspViolations(page), "/login").toEqual([]);
});
