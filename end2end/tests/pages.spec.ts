import { test, expect, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { apiKey, hydrated, signIn, unique } from "./helpers";

/** Rust that leaked into the page as text: a view! attribute that ended its tag early
 * (issue 13 found `move |_| page.update(…) >Next` as a button's label). */
const SOURCE_FRAGMENTS = ["move |", ".get()", "=>"];

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

async function sourceFragments(page: Page) {
  const text = await page.locator("body").innerText();
  return SOURCE_FRAGMENTS.filter((f) => text.includes(f));
}

const SIGNED_OUT = ["/login", "/signup", "/forgot-password"];
const SIGNED_IN = [
  "/",
  "/inbox",
  "/contacts",
  "/contacts/import",
  "/sandbox",
  "/reports",
  "/settings/profile",
  "/settings/members",
  "/settings/numbers",
  "/settings/canned",
  "/settings/contacts",
  "/settings/system",
  "/settings/api-keys",
];

for (const theme of ["light", "dark"]) {
  test(`every page in the ${theme} theme passes axe-core and shows no source code`, async ({ page, request }) => {
    test.setTimeout(180_000);
    await page.addInitScript((t) => localStorage.setItem("mce-theme", t), theme);
    for (const path of SIGNED_OUT) {
      await page.goto(path);
      // Signed-out forms enable their button once hydrated.
      await expect(page.locator("button[type=submit]").first()).toBeEnabled();
      await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
      expect(await sourceFragments(page), path).toEqual([]);
      expect(await seriousViolations(page), path).toEqual([]);
    }
    const made = await request.post("/api/v1/contacts", {
      headers: { Authorization: `Bearer ${apiKey()}` },
      data: { phone: `+1415${unique().slice(-7)}`, name: "Page Check" },
    });
    expect(made.status()).toBe(201);
    const contact = (await made.json()).id as string;
    await signIn(page);
    for (const path of [...SIGNED_IN, `/contacts/${contact}`]) {
      await page.goto(path);
      await hydrated(page);
      await expect(page.locator(".loading")).toHaveCount(0);
      await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
      expect(await sourceFragments(page), path).toEqual([]);
      expect(await seriousViolations(page), path).toEqual([]);
    }
  });
}
