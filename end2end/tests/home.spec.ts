import { test, expect } from "@playwright/test";
import { open, signUpNewOrg, unique } from "./helpers";

test("a new org's home is a checklist that ticks itself when a contact is added", async ({ page }) => {
  await signUpNewOrg(page, "home", "Hana Home");
  const checklist = page.getByTestId("checklist");
  await expect(checklist).toBeVisible();
  const contacts = checklist.locator('li[data-step="contacts"]');
  await expect(contacts).toHaveAttribute("data-done", "false");
  await expect(page.getByTestId("checklist-progress")).toHaveText("0 of 4 done");
  // Each open step links to where it is done.
  await contacts.getByRole("link", { name: "Go to contacts" }).click();
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.getByRole("button", { name: "Add contact" })).toBeEnabled();
  await page.getByLabel("Phone", { exact: true }).fill(`+4479${unique().slice(-8)}`);
  await page.getByLabel("Name", { exact: true }).fill("First Lead");
  await page.getByRole("button", { name: "Add contact" }).click();
  await expect(page.getByTestId("contact-row").filter({ hasText: "First Lead" })).toHaveCount(1);
  await open(page, "/");
  await expect(contacts).toHaveAttribute("data-done", "true");
  await expect(contacts.getByRole("img", { name: "Done" })).toBeVisible();
  await expect(page.getByTestId("checklist-progress")).toHaveText("1 of 4 done");
  await expect(checklist.locator('li[data-step="teammate"]')).toHaveAttribute("data-done", "false");
});
