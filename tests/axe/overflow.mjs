// Prints the page's scroll width at a phone's width (375 px): wider than the screen means
// the reader must scroll sideways to read a line.
import { chromium } from 'playwright-core';
const [file, width = '375'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const page = await browser.newPage({ viewport: { width: Number(width), height: 800 } });
  await page.goto('file://' + file);
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  console.log(JSON.stringify({ width: Number(width), scrollWidth: scroll }));
} finally {
  await browser.close();
}
