import { Browser, expect, Page } from "@playwright/test";

export const ADMIN = { email: "admin@e2e.test", password: "e2e-password-1" };

/** Signs in through the login form and waits for the app shell. */
export async function signIn(page: Page, who = ADMIN) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  // The button is enabled only once the page has hydrated.
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Welcome");
  // Signing in loads the home page as a new document: wait for it to hydrate, so a
  // link clicked next navigates inside the app instead of loading a page afresh.
  await hydrated(page);
}

/** A unique suffix, so reruns against one database do not collide. */
export const unique = () => `${Date.now()}${Math.floor(Math.random() * 1000)}`;

/** What start-server.sh wrote for the tests. */
function e2eState(): { org_id: string; api_key: string; pid_file: string; mail_dir: string } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  return JSON.parse(fs.readFileSync(path.join(__dirname, "..", ".e2e-state.json"), "utf8"));
}

/** The API key start-server.sh created for the test org. */
export function apiKey(): string {
  return e2eState().api_key;
}

/** Stops the server with SIGTERM (as a deploy does); start-server.sh starts it again on
 * the same database. Resolves once the old process is gone. */
export async function restartServer(): Promise<void> {
  const fs = require("fs") as typeof import("fs");
  const pidFile = e2eState().pid_file;
  const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the server (pid ${pid}) did not stop within 10 s of SIGTERM`);
}

/** Loads a signed-in page and waits until the app has hydrated (the bell is enabled
 * only then): text typed or options chosen before that reach the DOM but not the
 * app's signals, so a search or filter would silently do nothing. */
export async function open(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
}

/** Waits until a signed-in page has hydrated (after a reload or a full navigation). */
export async function hydrated(page: Page) {
  await expect(page.getByTestId("bell")).toBeEnabled();
}

/** Reloads a signed-in page and waits until it has hydrated again. */
export async function reload(page: Page) {
  await page.reload();
  await hydrated(page);
}

/** Invites `email` with `role` in Settings → Members (the admin's page), opens the
 * shown link in a new browser context and accepts as a new person with `name` and
 * `password`. Returns the new member's page, signed in, and its context. */
export async function inviteMember(admin: Page, browser: Browser, who: { email: string; role: string; name: string; password: string }) {
  await open(admin, "/settings/members");
  await admin.getByLabel("Email").fill(who.email);
  await admin.getByLabel("Role", { exact: true }).selectOption(who.role);
  await admin.getByRole("button", { name: "Invite", exact: true }).click();
  const link = await admin.getByLabel("Invitation link").inputValue();
  expect(link).toContain("/invitations/accept?token=");
  await expect(admin.locator(`tr[data-invited="${who.email}"]`)).toBeVisible();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  await page.getByLabel("Your name").fill(who.name);
  await page.getByLabel("Password (at least 10 characters)").fill(who.password);
  await page.getByRole("button", { name: "Join" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Welcome");
  await hydrated(page);
  return { page, context };
}

/** The newest mail the SMTP sink of start-server.sh received for `to` that contains
 * `text` once decoded (quoted-printable undone, enough to read links); waits up to 15 s. */
export async function lastMail(to: string, text: string): Promise<string> {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  const dir = e2eState().mail_dir;
  for (let i = 0; i < 150; i++) {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).sort().reverse() : [];
    for (const f of files) {
      const m = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { to: string[]; data: string };
      const decoded = m.data.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
      if (m.to.includes(to.toLowerCase()) && decoded.includes(text)) return decoded;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to} reached the sink`);
}

/** Signs up a new org through /signup as `name`, confirms the address through the SMTP
 * sink and signs in. Returns the account. */
export async function signUpNewOrg(page: Page, prefix: string, name: string): Promise<{ email: string; password: string }> {
  const who = { email: `${prefix}-${unique()}@e2e.test`, password: `${prefix}-e2e-password-1` };
  await page.goto("/signup");
  await page.getByLabel("Organisation name").fill(`${prefix.toUpperCase()} Org ${unique()}`);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password (at least 10 characters)").fill(who.password);
  await page.getByRole("button", { name: "Create" }).click();
  // The e2e server mails (SMTP sink): the new account signs in once its address is confirmed.
  const mail = await lastMail(who.email, "/verify-email?token=");
  const link = mail.match(/http:\/\/[^\s"<>]+\/verify-email\?token=[A-Za-z0-9_-]+/)![0];
  await page.goto(link);
  // Enabled once the page has hydrated; the click waits for that.
  await page.getByRole("button", { name: "Confirm my address" }).click();
  await expect(page.getByRole("status")).toContainText("Your address is confirmed");
  await signIn(page, who);
  return who;
}
