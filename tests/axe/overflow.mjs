// At a phone's width (375 px unless given): the page's scroll width (wider than the screen
// means the reader must scroll sideways to read a line) and the size of every citation link
// and back link, which a finger must be able to hit (WCAG 2.2 target size: 24 x 24 px).
import { chromium } from 'playwright-core';
const [file, width = '375'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const page = await browser.newPage({ viewport: { width: Number(width), height: 800 } });
  await page.goto('file://' + file);
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  const targets = await page.evaluate(() =>
    [...document.querySelectorAll('.citation a, .back-link')].map(a => {
      const box = a.getBoundingClientRect();
      return { text: a.textContent, x: box.x, y: box.y + window.scrollY,
               width: box.width, height: box.height };
    }));
  // Line spacing: each paragraph or item holding a citation is as tall as its lines, at the
  // line height of its text, so the targets did not push its lines apart.
  const lines = await page.evaluate(() =>
    [...new Set([...document.querySelectorAll('.citation')].map(c => c.closest('p, li')))]
      .filter(Boolean).map(block => {
        const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
        const tops = new Set();
        for (let node; (node = walker.nextNode());) {
          if (node.parentElement.closest('sup')) continue;  // raised: not a line of its own
          const range = document.createRange(); range.selectNodeContents(node);
          for (const r of range.getClientRects()) if (r.height) tops.add(Math.round(r.top));
        }
        const style = getComputedStyle(block);
        const inner = block.getBoundingClientRect().height - parseFloat(style.paddingTop)
                      - parseFloat(style.paddingBottom);
        return { lines: tops.size, lineHeight: parseFloat(style.lineHeight), height: inner };
      }));
  console.log(JSON.stringify({ width: Number(width), scrollWidth: scroll, targets, lines }));
} finally {
  await browser.close();
}
