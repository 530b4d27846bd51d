import { test, expect, Page, Browser } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { apiKey, inviteMember, open, restartServer, signIn, unique } from "./helpers";

/** Invites an agent through Settings → Members; they accept in a new browser context
 * and are signed in there. */
async function newAgent(admin: Page, browser: Browser, name: string) {
  const email = `inbox${unique()}@e2e.test`;
  const { page, context } = await inviteMember(admin, browser, { email, role: "agent", name, password: "agent-password-9" });
  return { page, context, name };
}

/** The sandbox customer phone, as `customer`. */
async function customerPhone(page: Page, customer: string, name: string) {
  await open(page, "/sandbox");
  await page.getByLabel("Customer phone").fill(customer);
  await page.getByLabel("Customer name").fill(name);
  await expect(page.getByTestId("sandbox-business")).toBeVisible();
  return async (text: string) => {
    await page.getByLabel("Message", { exact: true }).fill(text);
    await page.getByRole("button", { name: "Send", exact: true }).click();
  };
}

test("two agents see a customer's message live, one assigns it, the other answers and the ticks reach read", async ({ page, browser }) => {
  await signIn(page);
  const ben = await newAgent(page, browser, "Ben Inbox");
  const customer = `+1555${unique().slice(-7)}`;
  const customerName = `Cora ${unique().slice(-4)}`;

  // Both agents have the inbox open before the customer writes.
  await open(page, "/inbox");
  await open(ben.page, "/inbox");
  await expect(page.getByTestId("conversation-list")).toBeVisible();
  await expect(ben.page.getByTestId("conversation-list")).toBeVisible();

  const phoneContext = await browser.newContext();
  const phone = await phoneContext.newPage();
  await signIn(phone);
  const write = await customerPhone(phone, customer, customerName);
  await write("Hi, is the shop open today?");

  // Without a reload, both lists show it.
  const rowA = page.getByTestId("conversation").filter({ hasText: customerName });
  const rowB = ben.page.getByTestId("conversation").filter({ hasText: customerName });
  await expect(rowA).toContainText("Hi, is the shop open today?");
  await expect(rowB).toContainText("Hi, is the shop open today?");

  // The admin assigns it to Ben; Ben's Mine tab has it and his bell counts it.
  await rowA.getByRole("link").click();
  await expect(page.getByTestId("chat-name")).toHaveText(customerName);
  // The assignee is picked by typing part of the name.
  await page.getByTestId("assignee").fill("ben");
  await page.getByRole("option", { name: "Ben Inbox" }).click();
  await expect(page.getByTestId("chat-messages")).toContainText("Assigned to Ben Inbox");
  await ben.page.getByRole("tab", { name: "Mine" }).click();
  await expect(ben.page.getByTestId("conversation").filter({ hasText: customerName })).toBeVisible();
  await expect(ben.page.getByTestId("bell-count")).toBeVisible();
  await ben.page.getByTestId("bell").click();
  await expect(ben.page.getByRole("dialog", { name: "Notifications" })).toContainText("A conversation was assigned to you");

  // Ben answers with Enter; the customer's phone shows it; the ticks reach read.
  await ben.page.getByRole("dialog", { name: "Notifications" }).getByRole("link", { name: /assigned to you/ }).first().click();
  await expect(ben.page.getByTestId("chat-name")).toHaveText(customerName);
  await ben.page.getByTestId("composer").fill("Yes, until 6 pm!");
  await ben.page.getByTestId("composer").press("Enter");
  await expect(phone.getByTestId("sandbox-chat").locator('[data-direction="to_customer"]')).toContainText("Yes, until 6 pm!");
  const sent = ben.page.getByTestId("chat-messages").locator('[data-direction="outbound"]').filter({ hasText: "Yes, until 6 pm!" });
  await expect(sent.getByTestId("tick")).toHaveAttribute("aria-label", "Read", { timeout: 15_000 });

  // An internal note stays inside: the customer never sees it.
  await ben.page.getByRole("checkbox", { name: "Note" }).check();
  await ben.page.getByTestId("composer").fill("Regular customer, offer the loyalty card");
  await ben.page.getByTestId("composer").press("Enter");
  await expect(ben.page.getByTestId("chat-messages").locator('[data-direction="note"]')).toContainText("loyalty card");
  await expect(page.getByTestId("chat-messages").locator('[data-direction="note"]')).toContainText("loyalty card");
  await expect(phone.getByTestId("sandbox-chat")).not.toContainText("loyalty card");

  await phoneContext.close();
  await ben.context.close();
});

test("a closed window disables the text box, and a template still goes out", async ({ page, request }) => {
  const auth = { Authorization: `Bearer ${apiKey()}` };
  const customer = `+1555${unique().slice(-7)}`;
  const numbers = await (await request.get("/api/v1/numbers", { headers: auth })).json();
  const sandbox = numbers.data.find((n: { is_sandbox: boolean }) => n.is_sandbox);
  // A template to someone who never wrote: the conversation exists, its window is closed.
  const first = await request.post("/api/v1/messages", { headers: auth, data: { number_id: sandbox.id, to: customer, template: { name: "welcome", language: "en" } } });
  expect(first.status()).toBe(202);
  const { conversation_id } = await first.json();

  await signIn(page);
  await open(page, `/inbox/${conversation_id}`);
  await expect(page.getByTestId("window-closed")).toBeVisible();
  await expect(page.getByTestId("composer")).toBeDisabled();
  await page.getByLabel("Template", { exact: true }).fill("order_update");
  await page.getByLabel("Language", { exact: true }).fill("en");
  await page.getByLabel(/^Variables/).fill("Ana\n42");
  await page.getByRole("button", { name: "Send template" }).click();
  const templates = page.getByTestId("chat-messages").locator('[data-direction="outbound"]');
  await expect(templates).toHaveCount(2);
  await expect(templates.last()).toContainText("order_update (Ana, 42)");
  await expect(templates.last().getByTestId("tick")).toHaveAttribute("aria-label", "Read", { timeout: 15_000 });
});

test("the inbox works one panel at a time on a phone, and has no serious accessibility problems", async ({ page, browser }) => {
  await signIn(page);
  const phoneContext = await browser.newContext();
  const phone = await phoneContext.newPage();
  await signIn(phone);
  const name = `Pia ${unique().slice(-4)}`;
  const write = await customerPhone(phone, `+1555${unique().slice(-7)}`, name);
  await write("Hello from a phone");

  await open(page, "/inbox");
  const row = page.getByTestId("conversation").filter({ hasText: name });
  await expect(row).toBeVisible();
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);

  await page.setViewportSize({ width: 390, height: 844 });
  await row.getByRole("link").click();
  await expect(page.getByTestId("chat-name")).toHaveText(name);
  await expect(page.getByTestId("conversation-list")).toBeHidden();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.getByTestId("composer").fill("Hi Pia!");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(phone.getByTestId("sandbox-chat").locator('[data-direction="to_customer"]')).toContainText("Hi Pia!");
  const chatAxe = await new AxeBuilder({ page }).analyze();
  expect(chatAxe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
  await page.getByRole("link", { name: "Back to the list" }).click();
  await expect(page.getByTestId("conversation-list")).toBeVisible();
  await phoneContext.close();
});

test("a canned response made in Settings is inserted with / and the names filled in", async ({ page, browser }) => {
  await signIn(page);
  const shortcut = `hi${unique().slice(-5)}`;
  await open(page, "/settings/canned");
  // Typed before hydration, the text would not reach the form's signals.
  await expect(page.getByRole("button", { name: "Save" })).toBeEnabled();
  await page.getByLabel("Title").fill("Warm hello");
  await page.getByLabel("Shortcut").fill(shortcut);
  await page.getByLabel("Content").fill("Hi {contact_name}, {agent_name} here. How can I help?");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("canned-table")).toContainText(`/${shortcut}`);

  const phoneContext = await browser.newContext();
  const phone = await phoneContext.newPage();
  await signIn(phone);
  const name = `Quinn ${unique().slice(-4)}`;
  const write = await customerPhone(phone, `+1555${unique().slice(-7)}`, name);
  await write("Hello?");

  await open(page, "/inbox");
  await page.getByTestId("conversation").filter({ hasText: name }).getByRole("link").click();
  await expect(page.getByTestId("chat-name")).toHaveText(name);
  await page.getByTestId("composer").fill(`/${shortcut}`);
  await page.getByRole("button", { name: new RegExp(`/${shortcut}`) }).click();
  await expect(page.getByTestId("composer")).toHaveValue(`Hi ${name}, Erin Admin here. How can I help?`);
  await phoneContext.close();
});

/** A customer who wrote first, and the agent's page on their chat. */
async function openChatWithNewCustomer(page: Page, browser: Browser, name: string) {
  await signIn(page);
  const phoneContext = await browser.newContext();
  const phone = await phoneContext.newPage();
  await signIn(phone);
  const write = await customerPhone(phone, `+1555${unique().slice(-7)}`, name);
  await write("Can you send me the menu?");
  await open(page, "/inbox");
  await page.getByTestId("conversation").filter({ hasText: name }).getByRole("link").click();
  await expect(page.getByTestId("chat-name")).toHaveText(name);
  await expect(page.getByTestId("composer")).toBeEnabled();
  return { phone, phoneContext, write };
}

// The smallest valid PNG: one transparent pixel.
const PIXEL_PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64");

test("a file attached in the composer goes out with the typed text as its caption and shows on the customer's phone", async ({ page, browser }) => {
  const name = `Ada ${unique().slice(-4)}`;
  const { phone, phoneContext } = await openChatWithNewCustomer(page, browser, name);
  await page.getByTestId("composer").fill("Here is our menu");
  await page.getByTestId("attach").setInputFiles({ name: "menu.png", mimeType: "image/png", buffer: PIXEL_PNG });
  const sent = page.getByTestId("chat-messages").locator('[data-direction="outbound"]').last();
  await expect(sent.locator("img.chat-media")).toBeVisible();
  await expect(sent).toContainText("Here is our menu");
  await expect(sent).toContainText("Erin Admin");
  await expect(page.getByTestId("composer")).toHaveValue("");
  const received = phone.getByTestId("sandbox-chat").locator('[data-direction="to_customer"] img');
  await expect(received).toBeVisible();
  await expect.poll(() => received.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);

  // A type WhatsApp refuses is refused with the reason, and nothing is sent.
  await page.getByTestId("attach").setInputFiles({ name: "anim.gif", mimeType: "image/gif", buffer: Buffer.from("GIF89a") });
  await expect(page.getByRole("alert").filter({ hasText: "image/gif" })).toBeVisible();
  await expect(page.getByTestId("chat-messages").locator('[data-direction="outbound"]')).toHaveCount(1);
  await phoneContext.close();
});

test("after a server restart the open inbox reconnects by itself and shows what arrived meanwhile", async ({ page, browser }) => {
  const name = `Rex ${unique().slice(-4)}`;
  const { phone, phoneContext, write } = await openChatWithNewCustomer(page, browser, name);
  const inbound = page.getByTestId("chat-messages").locator('[data-direction="inbound"]');
  await expect(inbound).toHaveCount(1);

  await restartServer();
  await expect(page.getByTestId("reconnecting")).toBeVisible();
  // The customer writes as soon as the server is back; the agent's page is never reloaded.
  await expect.poll(async () => (await page.request.get("/readyz").catch(() => null))?.status(), { timeout: 30_000 }).toBe(200);
  await write("Are you there after the restart?");

  await expect(inbound).toHaveCount(2, { timeout: 20_000 });
  await expect(inbound.last()).toContainText("Are you there after the restart?");
  await expect(page.getByTestId("reconnecting")).toBeHidden();
  await expect(page.getByTestId("conversation").filter({ hasText: name })).toContainText("Are you there after the restart?");
  await phoneContext.close();
});

test("the contact panel shows the CRM card, and a note added there is on the contact's page", async ({ page, browser }) => {
  const name = `Ivo ${unique().slice(-4)}`;
  const { phoneContext } = await openChatWithNewCustomer(page, browser, name);
  const panel = page.getByTestId("contact-panel");
  await expect(panel).toContainText("unknown");
  await panel.getByRole("textbox", { name: "Contact note" }).fill("Prefers Portuguese");
  await panel.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByTestId("panel-notes")).toContainText("Prefers Portuguese");
  await panel.getByRole("link", { name: "Open contact" }).click();
  await expect(page.getByTestId("contact-name")).toHaveText(name);
  await expect(page.getByTestId("notes")).toContainText("Prefers Portuguese");
  await expect(page.getByTestId("timeline")).toContainText("Created from whatsapp");
  await expect(page.getByTestId("timeline")).toContainText("Wrote text: Can you send me the menu?");
  await phoneContext.close();
});

test("a 300-character word wraps inside its bubble and the chat never scrolls sideways", async ({ page, browser }) => {
  const name = `Wrap ${unique().slice(-4)}`;
  const { write, phoneContext } = await openChatWithNewCustomer(page, browser, name);
  const word = "https://example.com/" + "x".repeat(280);
  await write(word);
  const bubble = page.getByTestId("chat-messages").locator('[data-direction="inbound"]').filter({ hasText: "xxxxxxxxxx" });
  await expect(bubble).toHaveCount(1);
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 844 });
    const fits = await bubble.evaluate((b) => b.scrollWidth <= b.clientWidth + 1);
    expect(fits, `the bubble holds its text at ${width} px`).toBe(true);
    const chat = page.getByTestId("chat-messages");
    expect(await chat.evaluate((c) => c.scrollWidth <= c.clientWidth + 1), `no sideways scroll at ${width} px`).toBe(true);
  }
  await phoneContext.close();
});

test("the composer spans the chat, grows with its text up to a limit and sends", async ({ page, browser }) => {
  const name = `Grow ${unique().slice(-4)}`;
  const { phone, phoneContext } = await openChatWithNewCustomer(page, browser, name);
  const composer = page.getByTestId("composer");
  const chat = page.getByTestId("chat-messages");
  await composer.fill("Hi");
  const one = await composer.evaluate((t) => t.getBoundingClientRect().height);
  const width = await composer.evaluate((t) => t.getBoundingClientRect().width);
  const chatWidth = await chat.evaluate((c) => c.getBoundingClientRect().width);
  expect(width, "the text box spans most of the chat").toBeGreaterThan(chatWidth * 0.8);
  await composer.fill("Our opening hours:\nMonday to Friday 9–18\nSaturday 10–14\nSunday closed");
  const four = await composer.evaluate((t) => t.getBoundingClientRect().height);
  expect(four).toBeGreaterThan(one * 1.8);
  await composer.fill(Array.from({ length: 40 }, (_, i) => `line ${i}`).join("\n"));
  const many = await composer.evaluate((t) => t.getBoundingClientRect().height);
  expect(many, "it stops growing and scrolls instead").toBeLessThan(260);
  await composer.fill("Our opening hours:\nMonday to Friday 9–18");
  await composer.press("Enter");
  await expect(composer).toHaveValue("");
  await expect(chat.locator('[data-direction="outbound"]').last()).toContainText("Monday to Friday 9–18");
  await expect(phone.getByTestId("sandbox-chat")).toContainText("Monday to Friday 9–18");
  // The tools are icon buttons with names.
  const tools = page.getByRole("toolbar", { name: "Composer tools" });
  await expect(tools.getByRole("button", { name: "Templates" })).toBeVisible();
  await expect(tools.getByRole("button", { name: "Canned responses" })).toBeVisible();
  await expect(tools.getByText("Attach a file")).toHaveCount(1);
  await tools.getByRole("button", { name: "Canned responses" }).click();
  await expect(composer).toHaveValue("/");
  await phoneContext.close();
});

test("the inbox answers to j, k, e, a, / and ?", async ({ page, browser }) => {
  const first = `Keys ${unique().slice(-4)}`;
  const { phoneContext } = await openChatWithNewCustomer(page, browser, first);
  await open(page, "/inbox");
  await expect(page.getByTestId("conversation").nth(1)).toBeVisible();
  // Nothing selected: j opens the first conversation, j the next, k goes back.
  await page.locator("body").press("j");
  await expect(page).toHaveURL(/\/inbox\/.+/);
  const one = page.url();
  await page.locator("body").press("j");
  await expect(page).not.toHaveURL(one);
  await page.locator("body").press("k");
  await expect(page).toHaveURL(one);
  await page.getByTestId("conversation").filter({ hasText: first }).getByRole("link").click();
  await expect(page.getByTestId("chat-name")).toHaveText(first);
  await expect(page.getByRole("button", { name: "Assign to me" })).toBeEnabled();
  await page.locator("body").press("a");
  await expect(page.getByTestId("assignee")).toHaveValue("Erin Admin");
  await page.locator("body").press("e");
  await expect(page.locator("[data-shortcut=resolve]")).toHaveText("Reopen");
  await page.locator("body").press("e");
  await expect(page.locator("[data-shortcut=resolve]")).toHaveText("Resolve");
  await page.locator("body").press("/");
  await expect(page.getByTestId("composer")).toHaveValue("/");
  await expect(page.getByTestId("composer")).toBeFocused();
  // Keys typed in the composer are text, not shortcuts.
  await page.getByTestId("composer").press("j");
  await expect(page.getByTestId("composer")).toHaveValue("/j");
  await page.getByTestId("composer").fill("");
  await page.getByTestId("composer").blur();
  await page.locator("body").press("?");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(help).toBeVisible();
  await expect(help).toContainText("Assign the conversation to me");
  // Focus stays inside the dialog however far Tab goes.
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => !!document.activeElement?.closest("dialog[open]"))).toBe(true);
  }
  await page.keyboard.press("Escape");
  await expect(help).toHaveCount(0);
  await phoneContext.close();
});
