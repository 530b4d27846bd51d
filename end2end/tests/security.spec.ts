// Issue 11, items 4-6 in the browser: enrol TOTP on the profile page (the code is
// computed here from the shown secret with node's HMAC-SHA1), sign out, sign in with the
// password and then the code, "sign out everywhere else", axe and the phone viewport.
//
// Everything runs as a person this spec signs up (a new org), never the shared e2e admin,
// who keeps signing in with a password only in every other spec.
import { test, expect, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { createHmac } from "crypto";
import { hydrated, lastMail, signIn, unique, signUpNewOrg } from "./helpers";

const STEP_MS = 30_000;

function base32Decode(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of text.replace(/=+$/, "").toUpperCase()) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 (SHA-1, 6 digits, 30 s) at the time step `step`. */
function totp(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return n.toString().padStart(6, "0");
}

const stepNow = () => Math.floor(Date.now() / STEP_MS);

/** Waits until the clock is past `step`, so the next code has not been used yet. */
async function nextStepAfter(step: number): Promise<number> {
  while (stepNow() <= step) await new Promise((r) => setTimeout(r, 250));
  return stepNow();
}

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

type Person = { email: string; password: string };

async function signUp(page: Page): Promise<Person> {
  return signUpNewOrg(page, "tfa", "Tess Factor");
}

async function passwordStep(page: Page, who: Person) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("form", { name: "Two-factor code" })).toBeVisible();
}

async function codeStep(page: Page, code: string) {
  await page.getByLabel("Code", { exact: true }).fill(code);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Welcome");
  await hydrated(page);
}

async function openProfile(page: Page) {
  await page.goto("/settings/profile");
  await hydrated(page);
  await expect(page.locator(".loading")).toHaveCount(0);
}

test("a person enrols TOTP, signs in with password and code, and signs out everywhere else", async ({ page, browser }) => {
  test.setTimeout(150_000);
  const who = await signUp(page);
  await openProfile(page);
  expect(await seriousViolations(page), "the profile page with its security sections").toEqual([]);

  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  const secret = (await page.locator("#totp-secret").textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await expect(page.getByRole("img", { name: "QR code of the set-up key" }).locator("svg")).toBeVisible();
  expect(await seriousViolations(page), "the enrolment step").toEqual([]);
  const enrolStep = stepNow();
  await page.getByLabel("Code from the app").fill(totp(secret, enrolStep));
  await page.getByRole("button", { name: "Turn on" }).click();
  const recovery = page.locator("#recovery-codes li");
  await expect(recovery).toHaveCount(10);
  const recoveryCodes = await recovery.allTextContents();
  await expect(page.locator("#tfa-state")).toContainText("On. 10 recovery codes left.");

  // Sign out, then in again: the password alone is not enough.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await passwordStep(page, who);
  expect(await seriousViolations(page), "the code step of the login page").toEqual([]);
  await page.getByLabel("Code", { exact: true }).fill("12345");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("alert")).toContainText("AUTH_001");
  // The enrolment's code was used: wait for the next one.
  const step = await nextStepAfter(enrolStep);
  await codeStep(page, totp(secret, step));

  // A second browser signs in with a recovery code; then "sign out everywhere else" ends it.
  const phone = await browser.newContext();
  const other = await phone.newPage();
  await passwordStep(other, who);
  await codeStep(other, recoveryCodes[0].trim());

  await openProfile(page);
  await expect(page.locator("#session-count")).toContainText("Signed in on 2 browsers");
  await page.getByRole("button", { name: "Sign out everywhere else" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Your other sessions were signed out." })).toBeVisible();
  await expect(page.locator("#session-count")).toContainText("Signed in on 1 browser ");
  await other.goto("/settings/profile");
  await expect(other).toHaveURL(/\/login$/);
  await phone.close();

  // This browser is still signed in.
  await openProfile(page);
  await expect(page.locator("#tfa-state")).toContainText("9 recovery codes left");
});

test.describe("on a phone", () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test("the security sections and the enrolment fit a 390 px screen", async ({ page }) => {
    await signUp(page);
    await openProfile(page);
    await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
    await expect(page.locator("#totp-secret")).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const qr = await page.getByRole("img", { name: "QR code of the set-up key" }).boundingBox();
    expect(qr!.width).toBeLessThanOrEqual(390);
  });
});
