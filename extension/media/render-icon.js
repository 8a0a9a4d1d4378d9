// Renders icon.svg to the 128×128 icon.png the Marketplace and the Extensions view show (run: node extension/media/render-icon.js).
const path = require('node:path');
const { chromium } = require('playwright-core');

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
    const svg = require('node:fs').readFileSync(path.join(__dirname, 'icon.svg'), 'base64');
    await page.setContent(
      `<html><body style="margin:0;background:transparent"><img src="data:image/svg+xml;base64,${svg}" width="128" height="128"></body></html>`,
    );
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(__dirname, 'icon.png'), omitBackground: true });
  } finally {
    await browser.close();
  }
})();
