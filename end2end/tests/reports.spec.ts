import { test, expect } from "@playwright/test";
import { open, signUpNewOrg } from "./helpers";

test("reports chart today's messages, with the figures as a table, and only that page loads ECharts", async ({ page }) => {
  const echarts: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("echarts")) echarts.push(new URL(r.url()).pathname);
  });
  await signUpNewOrg(page, "reports", "Rita Reports");
  await open(page, "/inbox");
  expect(echarts, "the inbox does not load the chart library").toEqual([]);

  // A customer writes to the sandbox number: one message received today.
  await open(page, "/sandbox");
  await page.getByLabel("Message", { exact: true }).fill("Hello, reports");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByTestId("sandbox-chat").locator('[data-direction="from_customer"]')).toHaveText(["Hello, reports"]);

  await page.getByRole("navigation", { name: "Main navigation", exact: true }).getByRole("link", { name: "Reports" }).click();
  await expect(page).toHaveURL(/\/reports$/);
  const chart = page.getByTestId("chart");
  await expect(chart).toHaveAttribute("data-drawn", "true");
  await expect(chart.locator("svg").first()).toBeVisible();
  expect(echarts).toEqual(["/vendor/echarts.min.js"]);

  await page.getByText("Show the figures").click();
  const rows = page.getByTestId("chart-table").locator("tbody tr");
  await expect(rows).toHaveCount(14);
  await expect(rows.last().locator("td").first()).toHaveText("1");

  // Another period redraws with as many days, without loading ECharts again.
  await page.getByRole("tab", { name: "7 days" }).click();
  await expect(page.getByRole("tab", { name: "7 days" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("chart-table").locator("tbody tr")).toHaveCount(7);
  await expect(page.getByTestId("chart")).toHaveAttribute("data-drawn", "true");
  expect(echarts).toHaveLength(1);

  // On a phone the chart fits the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByTestId("chart").locator("svg").first()).toBeVisible();
  const wide = () =>
    page.evaluate(() =>
      Array.from(document.querySelectorAll("body *"))
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map((e) => `${e.tagName}.${e.getAttribute("class") ?? ""}`),
    );
  await expect.poll(wide).toEqual([]);
  const width = await page.getByTestId("chart").evaluate((el) => el.getBoundingClientRect().width);
  expect(width).toBeLessThanOrEqual(390);
});
