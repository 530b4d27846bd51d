import { test, expect } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { apiKey, open, signIn, unique } from "./helpers";

test("a contact added by hand is edited, tagged and noted, and the timeline tells it all", async ({ page }) => {
  await signIn(page);
  await open(page, "/contacts");
  await expect(page.getByRole("button", { name: "Add contact" })).toBeEnabled();
  const digits = unique().slice(-7);
  const name = `Nora ${digits.slice(-4)}`;
  // A national number: the org's default country (US) reads it.
  await page.getByLabel("Phone", { exact: true }).fill(`(650) ${digits.slice(0, 3)}-${digits.slice(3)}`);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Add contact" }).click();
  const row = page.getByTestId("contact-row").filter({ hasText: name });
  await expect(row).toContainText(`+1650${digits}`);

  await row.getByRole("link", { name }).click();
  await expect(page.getByTestId("contact-name")).toHaveText(name);
  await expect(page.getByRole("button", { name: "Save" })).toBeEnabled();
  await page.getByLabel("Name", { exact: true }).fill(`${name} Silva`);
  // Tags: picked from the org's or typed new, each a chip that can be removed again.
  const tagBox = page.getByRole("combobox", { name: "Tags" });
  for (const tag of ["vip", "spring fair", "mistake"]) {
    await tagBox.fill(tag);
    await tagBox.press("Enter");
  }
  const chosen = page.getByTestId("chosen-tags");
  await expect(chosen.locator("li")).toHaveText(["vip", "spring fair", "mistake"]);
  await chosen.getByRole("button", { name: "Remove mistake" }).click();
  await expect(chosen.locator("li")).toHaveText(["vip", "spring fair"]);
  await page.getByLabel("Opt-in").selectOption("opted_in");
  await page.getByLabel("How consent was given or withdrawn").fill("ticked the box at the fair");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("contact-name")).toHaveText(`${name} Silva`);
  const timeline = page.getByTestId("timeline");
  await expect(timeline).toContainText(`Changed name: ${name} → ${name} Silva`);
  await expect(timeline).toContainText("Tag vip added");
  await expect(timeline).toContainText("Opt-in unknown → opted_in via app (ticked the box at the fair)");
  await expect(timeline.locator('li[data-kind="created"]')).toContainText("Created from app");

  await page.getByLabel("Note", { exact: true }).fill("Call after 5 pm");
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByTestId("notes")).toContainText("Call after 5 pm");
  await expect(timeline).toContainText("Note: Call after 5 pm");

  // Filtering by the tag finds exactly this contact.
  await open(page, "/contacts");
  await expect(page.getByTestId("filter-tag").locator("option", { hasText: "spring fair" })).toHaveCount(1);
  await page.getByTestId("contact-search").fill(digits);
  await expect(page.getByTestId("contact-row")).toHaveCount(1);
  await page.getByTestId("contact-search").fill("");
  await page.getByTestId("filter-tag").selectOption("spring fair");
  await expect(page.getByTestId("contact-row")).toHaveCount(1);
  await expect(page.getByTestId("contact-total")).toHaveText("1–1 of 1");
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
});

test("a search typed while the page is still loading applies once the app has loaded", async ({ page, request }) => {
  const digits = unique().slice(-7);
  const name = `Early ${digits.slice(-4)}`;
  const made = await request.post("/api/v1/contacts", { headers: { Authorization: `Bearer ${apiKey()}` }, data: { phone: `+1415${digits}`, name } });
  expect(made.status()).toBe(201);
  await signIn(page);
  // Hold the app's WebAssembly back: the server-rendered page is usable but not hydrated.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/pkg/*.wasm", async (route) => {
    await held;
    await route.continue();
  });
  await page.goto("/contacts");
  await page.getByTestId("contact-search").fill(digits);
  await expect(page.getByTestId("bell")).toBeDisabled();
  release();
  await expect(page.getByTestId("bell")).toBeEnabled();
  await expect(page.getByTestId("contact-row")).toHaveCount(1);
  await expect(page.getByTestId("contact-row")).toContainText(name);
  await expect(page.getByTestId("contact-search")).toHaveValue(digits);
});

test("bulk actions tag and trash the chosen contacts, and the trash restores them", async ({ page }) => {
  await signIn(page);
  await open(page, "/contacts");
  await expect(page.getByRole("button", { name: "Add contact" })).toBeEnabled();
  const tag = `batch${unique().slice(-5)}`;
  const names: string[] = [];
  for (let i = 0; i < 2; i++) {
    const n = `Bulk ${tag} ${i}`;
    names.push(n);
    await page.getByLabel("Phone", { exact: true }).fill(`+4479${unique().slice(-8)}`);
    await page.getByLabel("Name", { exact: true }).fill(n);
    await page.getByRole("button", { name: "Add contact" }).click();
    await expect(page.getByTestId("contact-row").filter({ hasText: n })).toHaveCount(1);
  }
  await page.getByTestId("contact-search").fill(`Bulk ${tag}`);
  await expect(page.getByTestId("contact-row")).toHaveCount(2);
  for (const n of names) await page.getByLabel(`Choose ${n}`).check();
  await expect(page.getByTestId("selected-count")).toHaveText("2 selected");
  await page.getByLabel("Tag for the chosen contacts").fill(tag);
  await page.getByRole("button", { name: "Add tag" }).click();
  await expect(page.getByTestId("contact-row").filter({ hasText: tag })).toHaveCount(2);
  await expect(page.getByTestId("toasts").getByRole("status")).toContainText("Done.");

  // An empty tag is refused: the toast says why with the error code and stays until dismissed.
  await page.getByLabel(`Choose ${names[0]}`).check();
  await page.getByLabel("Tag for the chosen contacts").fill("");
  await page.getByRole("button", { name: "Add tag" }).click();
  const refused = page.getByTestId("toasts").getByRole("alert");
  await expect(refused).toContainText("(VALIDATION_001)");
  await refused.getByRole("button", { name: "Dismiss" }).click();
  await expect(refused).toHaveCount(0);

  for (const n of names) await page.getByLabel(`Choose ${n}`).check();
  await page.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByTestId("contact-row")).toHaveCount(0);
  await page.getByLabel("Trash").check();
  await expect(page.getByTestId("contact-row")).toHaveCount(2);
  await page.getByLabel(`Choose ${names[0]}`).check();
  await page.getByRole("button", { name: "Restore" }).click();
  await expect(page.getByTestId("contact-row")).toHaveCount(1);
  await page.getByLabel("Trash").uncheck();
  await expect(page.getByTestId("contact-row")).toHaveCount(1);
  await expect(page.getByTestId("contact-row")).toContainText(names[0]);
});

test("the contact list works on a phone", async ({ page, request }) => {
  const made = await request.post("/api/v1/contacts", { headers: { Authorization: `Bearer ${apiKey()}` }, data: { phone: `+4479${unique().slice(-8)}`, name: "Phone Card" } });
  expect(made.status()).toBe(201);
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page);
  await open(page, "/contacts");
  await expect(page.getByTestId("contact-search")).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  // Rows are cards that keep the name; the header row is gone.
  const row = page.getByTestId("contact-row").first();
  await expect(row.getByRole("link")).toBeVisible();
  await expect(row.locator('td[data-label="Phone"]')).toBeVisible();
  await expect(page.getByTestId("contact-table").locator("thead")).toBeHidden();
  // The filters fold into one button that counts those in use.
  const toggle = page.getByTestId("filter-toggle");
  await expect(toggle).toHaveText("Filters");
  await expect(page.getByLabel("Opt-in")).toBeHidden();
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await page.getByLabel("Opt-in").selectOption("opted_in");
  await page.getByLabel("Status").selectOption("new");
  await expect(toggle).toHaveText("Filters (2)");
  await toggle.click();
  await expect(page.getByLabel("Opt-in")).toBeHidden();
  const stillFits = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(stillFits).toBeLessThanOrEqual(0);
});

test("a CSV is imported with its mapping checked, the progress bar runs to the end and the error file lists the bad row", async ({ page }) => {
  await signIn(page);
  await open(page, "/contacts/import");
  const tag = `csv${unique().slice(-5)}`;
  const base = unique().slice(-6);
  let csv = "Full Name;Mobile;Labels;Comments\r\n";
  for (let i = 0; i < 1200; i++) {
    csv += i === 7 ? `Bad Row;12;${tag};oops\r\n` : `Imported ${i};+4478${base}${String(i).padStart(4, "0")};${tag};"line one\r\nline two"\r\n`;
  }
  await expect(page.getByTestId("import-file")).toBeEnabled();
  await page.getByTestId("import-file").setInputFiles({ name: "leads.csv", mimeType: "text/csv", buffer: Buffer.from("\ufeff" + csv, "utf8") });
  await expect(page.getByTestId("import-summary")).toHaveText("leads.csv — 1200 rows");
  // The guessed mapping is shown with the preview; notes are changed to be ignored.
  await expect(page.getByLabel("Column 1 (Full Name)")).toHaveValue("name");
  await expect(page.getByLabel("Column 2 (Mobile)")).toHaveValue("phone");
  await expect(page.getByLabel("Column 3 (Labels)")).toHaveValue("tags");
  await page.getByLabel("Column 4 (Comments)").selectOption("ignore");
  await expect(page.getByTestId("import-preview").locator("tbody tr")).toHaveCount(10);
  await page.getByLabel("Update the contact with the row's values").check();
  await page.getByRole("button", { name: "Start import" }).click();

  const progress = page.getByTestId("import-progress");
  await expect(progress).toBeVisible();
  await expect(progress).toHaveAttribute("data-status", "done", { timeout: 30_000 });
  await expect(page.getByTestId("import-counts")).toHaveText("1200 of 1200 rows (100%) · 1199 created · 0 updated · 0 skipped · 1 failed");
  const download = page.waitForEvent("download");
  await page.getByTestId("error-file").click();
  const file = await download;
  const text = require("fs").readFileSync(await file.path(), "utf8");
  expect(text.charCodeAt(0)).toBe(0xfeff);
  // Rows above it span two lines each (a quoted line break): the bad row starts on line 16.
  expect(text).toContain("16,Bad Row,12,");

  await open(page, "/contacts");
  await page.getByTestId("filter-tag").selectOption(tag);
  await expect(page.getByTestId("contact-total")).toHaveText("1–25 of 1,199");

  // Export the filtered view: the same 1199 contacts, formulas neutralised.
  const exported = page.waitForEvent("download");
  await page.getByTestId("export-view").click();
  const csvOut = require("fs").readFileSync(await (await exported).path(), "utf8");
  const lines = csvOut.trim().split("\r\n");
  expect(lines.length).toBe(1200);
  expect(lines[0].replace("\ufeff", "")).toMatch(/^phone,name,/);
  expect(lines[1]).toMatch(/^'\+4478/);
});

test("a webhook source made in Settings takes a posted lead, and a scoring rule scores it", async ({ page, request }) => {
  await signIn(page);
  await open(page, "/settings/contacts");
  await expect(page.getByRole("button", { name: "Add source" })).toBeEnabled();
  const name = `Landing ${unique().slice(-5)}`;
  await page.getByLabel("Name (recorded as the contacts' source)").fill(name);
  const mapping = page.getByTestId("mapping");
  for (const [field, target] of [["celular", "phone"], ["nome", "name"]]) {
    await mapping.getByRole("button", { name: "Add mapping line" }).click();
    const line = mapping.getByTestId("mapping-row").last();
    await line.getByLabel(/^Posted field/).fill(field);
    await line.getByLabel(/^Contact field/).selectOption(target);
  }
  await page.getByRole("button", { name: "Add source" }).click();
  const source = page.getByTestId("sources").locator("li").filter({ hasText: name });
  await expect(source.getByTestId("hook-url")).toContainText("/api/hooks/");
  const url = (await source.getByTestId("hook-url").textContent())!;

  const phone = `+4477${unique().slice(-8)}`;
  const posted = await request.post(url, { data: { celular: phone, nome: "Hook Lead" } });
  expect(posted.status()).toBe(202);
  expect((await posted.json()).status).toBe("created");
  const bad = await request.post(url, { data: { celular: "12" } });
  expect(bad.status()).toBe(422);
  expect((await bad.json()).code).toBe("CONTACT_003");

  const rules = page.getByTestId("score-rules");
  await rules.getByRole("button", { name: "Add rule" }).click();
  const rule = rules.getByTestId("score-rule").last();
  await rule.getByLabel(/^When/).selectOption("source");
  await rule.getByLabel(/^Source or tag/).fill(name);
  await rule.getByLabel(/^Points/).fill("15");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved; every contact's score was recomputed.")).toBeVisible();
  await expect(source).toContainText("1 leads");

  await open(page, "/contacts");
  await page.getByTestId("contact-search").fill(phone.slice(1));
  const row = page.getByTestId("contact-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Hook Lead");
  await expect(row.locator("td").nth(5)).toHaveText("15");
});

test("the contact list pages through 60 contacts and back", async ({ page, request }) => {
  const tag = `Pager${unique().slice(-6)}`;
  const stem = unique().slice(-6);
  for (let i = 0; i < 60; i++) {
    const made = await request.post("/api/v1/contacts", {
      headers: { Authorization: `Bearer ${apiKey()}` },
      data: { phone: `+4479${stem}${String(i).padStart(2, "0")}`, name: `${tag} ${String(i).padStart(2, "0")}` },
    });
    expect(made.status()).toBe(201);
  }
  await signIn(page);
  await open(page, "/contacts");
  await page.getByTestId("contact-search").fill(tag);
  await expect(page.getByTestId("contact-total")).toHaveText("1–25 of 60");
  await expect(page.getByTestId("contact-row")).toHaveCount(25);
  const next = page.getByRole("button", { name: "Next", exact: true });
  const previous = page.getByRole("button", { name: "Previous", exact: true });
  await expect(next).toHaveText("Next");
  await expect(previous).toBeDisabled();
  await next.click();
  await expect(page.getByTestId("contact-total")).toHaveText("26–50 of 60");
  await next.click();
  await expect(page.getByTestId("contact-total")).toHaveText("51–60 of 60");
  await expect(page.getByTestId("contact-row")).toHaveCount(10);
  await expect(next).toBeDisabled();
  const seen = await page.getByTestId("contact-row").allInnerTexts();
  expect(seen.some((t) => t.includes(`${tag} 59`) || t.includes(`${tag} 00`))).toBe(true);
  await previous.click();
  await expect(page.getByTestId("contact-total")).toHaveText("26–50 of 60");
});
