// Drive the page in headless Chromium and print its keypoints as JSON.
//   node run_headless.mjs "http://127.0.0.1:8000/index.html?model=model&frames=frames" out.json
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";

const [url, out] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  page.on("console", (message) => console.error(`[page] ${message.text()}`));
  await page.goto(url);
  await page.waitForFunction(() => window.dkdResults && window.dkdResults.done, null,
                             { timeout: 180000 });
  const results = await page.evaluate(() => window.dkdResults);
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT });
  writeFileSync(out, JSON.stringify(results));
  if (results.error) {
    console.error(results.error);
    process.exitCode = 1;
  }
} finally {
  await browser.close();
}
