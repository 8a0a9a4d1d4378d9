// Renders the website's logo (server/web/src/public/logo.svg, the one source of the mark) to the 128×128 icon.png the Marketplace and the Extensions view show.
// Run after the logo changes: node extension/media/render-icon.js (a test checks the icon is 128×128 and uses the logo's colours).
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const LOGO = path.join(__dirname, '../../server/web/src/public/logo.svg');

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
    const svg = fs.readFileSync(LOGO, 'base64');
    await page.setContent(
      `<html><body style="margin:0;background:transparent"><img id="logo" src="data:image/svg+xml;base64,${svg}" width="128" height="128"></body></html>`,
    );
    await page.locator('#logo').evaluate((img) => img.decode());
    await page.screenshot({ path: path.join(__dirname, 'icon.png'), omitBackground: true });
  } finally {
    await browser.close();
  }
})();
