import { test, expect } from "@playwright/test";
import { open, reload, signUpNewOrg, unique } from "./helpers";

test("scoring rules are rows that save, reload, are checked by the server and can be removed", async ({ page }) => {
  await signUpNewOrg(page, "rules", "Rui Rules");
  await open(page, "/settings/contacts");
  const rules = page.getByTestId("score-rules");
  await expect(rules).toContainText("No rules yet");
  const add = rules.getByRole("button", { name: "Add rule" });
  await expect(add).toBeEnabled();

  // Two rules: a tag and having replied.
  await add.click();
  await rules.getByLabel("When (rule 1)").selectOption("tag_added");
  await rules.getByLabel("Source or tag (rule 1)").fill("vip");
  await rules.getByLabel("Points (rule 1)").fill("30");
  await add.click();
  await rules.getByLabel("When (rule 2)").selectOption("replied");
  await expect(rules.getByLabel("Source or tag (rule 2)")).toHaveCount(0);
  await rules.getByLabel("Points (rule 2)").fill("20");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "every contact's score was recomputed" })).toBeVisible();

  await reload(page);
  await expect(rules.getByTestId("score-rule")).toHaveCount(2);
  await expect(rules.getByLabel("When (rule 1)")).toHaveValue("tag_added");
  await expect(rules.getByLabel("Source or tag (rule 1)")).toHaveValue("vip");
  await expect(rules.getByLabel("Points (rule 1)")).toHaveValue("30");
  await expect(rules.getByLabel("When (rule 2)")).toHaveValue("replied");
  await expect(rules.getByLabel("Points (rule 2)")).toHaveValue("20");

  // The server checks each rule and names the one at fault; nothing is lost.
  await rules.getByLabel("Points (rule 2)").fill("500");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(rules.getByRole("alert")).toHaveText("Rule 2: A rule gives between -100 and 100 points.");
  await expect(rules.getByTestId("score-rule").nth(1)).toHaveClass(/field-invalid/);
  await reload(page);
  await expect(rules.getByLabel("Points (rule 2)")).toHaveValue("20");

  // Removing the first rule leaves the other, now rule 1.
  await rules.getByRole("button", { name: "Remove rule 1" }).click();
  await expect(rules.getByTestId("score-rule")).toHaveCount(1);
  await expect(rules.getByLabel("When (rule 1)")).toHaveValue("replied");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "every contact's score was recomputed" })).toBeVisible();
  await reload(page);
  await expect(rules.getByTestId("score-rule")).toHaveCount(1);
  await expect(rules.getByLabel("When (rule 1)")).toHaveValue("replied");

  // A field the server refuses says so under itself.
  const codes = page.getByLabel("Allowed country calling codes");
  await codes.fill("55, 999");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.locator("#calling-codes-error")).toHaveText("+999 is not a country calling code.");
  await expect(codes).toHaveAttribute("aria-invalid", "true");
  await codes.fill("55");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(codes).not.toHaveAttribute("aria-invalid", "true");
});

test("a lead source's field mapping is rows of a posted field and the contact field it fills", async ({ page, request }) => {
  await signUpNewOrg(page, "mapping", "Mia Mapping");
  await open(page, "/settings/contacts");
  const form = page.getByRole("form", { name: "New lead source" });
  await form.getByLabel("Name (recorded as the contacts' source)").fill("Fair form");
  const mapping = form.getByTestId("mapping");
  const addLine = mapping.getByRole("button", { name: "Add mapping line" });
  await expect(addLine).toBeEnabled();
  await addLine.click();
  await mapping.getByLabel("Posted field (line 1)").fill("your_phone");
  await mapping.getByLabel("Contact field (line 1)").selectOption("phone");
  await addLine.click();
  await mapping.getByLabel("Posted field (line 2)").fill("full_name");
  await mapping.getByLabel("Contact field (line 2)").selectOption("name");
  await addLine.click();
  await mapping.getByLabel("Posted field (line 3)").fill("oops");
  await mapping.getByRole("button", { name: "Remove line 3" }).click();
  await expect(mapping.getByTestId("mapping-row")).toHaveCount(2);
  await form.getByRole("button", { name: "Add source" }).click();

  const source = page.getByTestId("sources").locator("li").filter({ hasText: "Fair form" });
  await expect(source.getByTestId("source-mapping")).toHaveText("Maps full_name → name, your_phone → phone");
  await expect(mapping.getByTestId("mapping-row")).toHaveCount(0);
  await reload(page);
  await expect(source.getByTestId("source-mapping")).toHaveText("Maps full_name → name, your_phone → phone");

  // A lead posted with those field names lands with its phone and name.
  const url = await source.getByTestId("hook-url").innerText();
  const phone = `+1415${unique().slice(-7)}`;
  const posted = await request.post(url, { data: { your_phone: phone, full_name: "Fiona Fair" } });
  expect(posted.status()).toBe(202);
  await open(page, "/contacts");
  await page.getByTestId("contact-search").fill("Fiona Fair");
  await expect(page.getByTestId("contact-row").filter({ hasText: "Fiona Fair" })).toContainText(phone);
});
