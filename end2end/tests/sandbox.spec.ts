import { test, expect } from "@playwright/test";
import { apiKey, open, reload, signIn } from "./helpers";

test("the agent's message reaches the sandbox phone, the customer taps a reply, and it is stored", async ({ page, request }) => {
  const auth = { Authorization: `Bearer ${apiKey()}` };
  const customer = `+1555${Date.now().toString().slice(-7)}`;
  await signIn(page);
  await page.getByRole("link", { name: "Sandbox" }).first().click();
  await expect(page).toHaveURL(/\/sandbox$/);
  await page.getByLabel("Customer phone").fill(customer);
  await page.getByLabel("Customer name").fill("Playwright Pat");
  await expect(page.getByTestId("sandbox-business")).toHaveText("MCE Sandbox");

  // The customer writes first, which opens the 24-hour window.
  await page.getByLabel("Message", { exact: true }).fill("Hello from the customer");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const chat = page.getByTestId("sandbox-chat");
  await expect(chat.locator('[data-direction="from_customer"]')).toHaveText(["Hello from the customer"]);

  // The agent answers through the REST API with reply buttons.
  const numbers = await (await request.get("/api/v1/numbers", { headers: auth })).json();
  const sandbox = numbers.data.find((n: { is_sandbox: boolean }) => n.is_sandbox);
  const sent = await request.post("/api/v1/messages", {
    headers: auth,
    data: {
      number_id: sandbox.id,
      to: customer,
      interactive: {
        type: "button",
        body: { text: "Shall we book you in?" },
        action: { buttons: [{ type: "reply", reply: { id: "yes", title: "Yes please" } }, { type: "reply", reply: { id: "no", title: "Not now" } }] },
      },
    },
  });
  expect(sent.status()).toBe(202);
  const queued = await sent.json();
  expect(queued.status).toBe("queued");

  // The phone shows it, and the customer taps a button.
  await expect(chat.locator('[data-direction="to_customer"]')).toContainText("Shall we book you in?");
  await chat.getByRole("button", { name: "Yes please" }).click();
  await expect(chat.locator('[data-direction="from_customer"]')).toHaveText(["Hello from the customer", "Yes please"]);

  // MCE stored the whole exchange, and the ticks reached read.
  const messages = async () => (await (await request.get(`/api/v1/conversations/${queued.conversation_id}/messages`, { headers: auth })).json()).data;
  await expect.poll(async () => (await messages()).map((m: { direction: string; text: string }) => `${m.direction}:${m.text}`)).toEqual([
    "inbound:Hello from the customer",
    "outbound:Shall we book you in?",
    "inbound:Yes please",
  ]);
  await expect.poll(async () => (await messages()).find((m: { id: string }) => m.id === queued.id).status, { timeout: 15_000 }).toBe("read");
});

test("the sandbox phone works at a phone viewport", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page);
  await page.getByRole("navigation", { name: "Main navigation (mobile)" }).getByRole("link", { name: "Sandbox" }).click();
  await expect(page.getByTestId("sandbox-business")).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

test("the simulator can be told to refuse sends, and the failure reason is stored", async ({ page, request }) => {
  const auth = { Authorization: `Bearer ${apiKey()}` };
  await signIn(page);
  await open(page, "/sandbox");
  await page.getByLabel("Answer every send with").selectOption("131026");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Simulator updated." })).toBeVisible();
  try {
    const numbers = await (await request.get("/api/v1/numbers", { headers: auth })).json();
    const sandbox = numbers.data.find((n: { is_sandbox: boolean }) => n.is_sandbox);
    const sent = await request.post("/api/v1/messages", {
      headers: auth,
      data: { number_id: sandbox.id, to: "+15550100999", template: { name: "hello_world", language: "en_US" } },
    });
    expect(sent.status()).toBe(202);
    const queued = await sent.json();
    const message = async () =>
      (await (await request.get(`/api/v1/conversations/${queued.conversation_id}/messages`, { headers: auth })).json()).data.find((m: { id: string }) => m.id === queued.id);
    await expect.poll(async () => (await message()).status, { timeout: 15_000 }).toBe("failed");
    expect((await message()).error_code).toBe(131026);
  } finally {
    await reload(page);
    await page.getByLabel("Answer every send with").selectOption("");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Simulator updated." })).toBeVisible();
  }
});

test("pictures travel both ways through the media API: the customer's photo is stored, the agent's upload shows on the phone", async ({ page, request }) => {
  const auth = { Authorization: `Bearer ${apiKey()}` };
  const customer = `+1555${(Date.now() + 7).toString().slice(-7)}`;
  await signIn(page);
  await open(page, "/sandbox");
  await page.getByLabel("Customer phone").fill(customer);
  await page.getByLabel("Customer name").fill("Photo Phil");
  await page.getByLabel("Message", { exact: true }).fill("my receipt");
  await page.getByRole("button", { name: "Send photo" }).click();
  const chat = page.getByTestId("sandbox-chat");
  const sentPhoto = chat.locator('[data-direction="from_customer"] img');
  await expect(sentPhoto).toHaveAttribute("alt", "my receipt");
  await expect.poll(() => sentPhoto.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);

  // MCE downloaded the photo through the media API and serves its copy.
  const contacts = await (await request.get(`/api/v1/contacts?phone=${encodeURIComponent(customer)}`, { headers: auth })).json();
  const contact = contacts.data[0];
  const conversations = await (await request.get(`/api/v1/conversations?contact_id=${contact.id}`, { headers: auth })).json();
  const conversation = conversations.data[0];
  const imageMessage = async () =>
    (await (await request.get(`/api/v1/conversations/${conversation.id}/messages`, { headers: auth })).json()).data.find((m: { type: string }) => m.type === "image");
  await expect.poll(async () => (await imageMessage())?.media_id ?? null).not.toBeNull();
  const mediaId = (await imageMessage()).media_id;
  await expect.poll(async () => (await (await request.get(`/api/v1/media/${mediaId}`, { headers: auth })).json()).status).toBe("stored");
  const content = await request.get(`/api/v1/media/${mediaId}/content`, { headers: auth });
  expect(content.headers()["content-type"]).toBe("image/png");
  const png = await content.body();
  expect(png.subarray(1, 4).toString()).toBe("PNG");

  // The agent sends the same picture back as an upload, by media id.
  const numbers = await (await request.get("/api/v1/numbers", { headers: auth })).json();
  const sandbox = numbers.data.find((n: { is_sandbox: boolean }) => n.is_sandbox);
  const uploaded = await request.post("/api/v1/media", {
    headers: auth,
    multipart: { number_id: sandbox.id, file: { name: "receipt-copy.png", mimeType: "image/png", buffer: png } },
  });
  expect(uploaded.status()).toBe(201);
  const file = await uploaded.json();
  const sent = await request.post("/api/v1/messages", {
    headers: auth,
    data: { number_id: sandbox.id, to: customer, media: { type: "image", id: file.wa_media_id, caption: "Your receipt, stamped" } },
  });
  expect(sent.status()).toBe(202);
  const received = chat.locator('[data-direction="to_customer"] img');
  await expect(received).toHaveAttribute("alt", "Your receipt, stamped");
  await expect.poll(() => received.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
});
