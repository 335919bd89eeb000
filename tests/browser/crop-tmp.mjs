// Crops a PNG by loading it into Chromium (no image tools on this machine).
import { chromium } from 'playwright-core';
const [,, src, out, y, hgt] = process.argv;
const b = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const p = await b.newPage();
const { readFileSync } = await import('node:fs');
const data = readFileSync(src).toString('base64');
await p.setContent(`<body style="margin:0"><img id=i src="data:image/png;base64,${data}"></body>`);
const box = await p.locator('#i').boundingBox();
await p.setViewportSize({ width: Math.ceil(box.width), height: Math.min(Number(hgt), Math.ceil(box.height - Number(y))) });
await p.screenshot({ path: out, clip: { x: 0, y: Number(y), width: box.width, height: Math.min(Number(hgt), box.height - Number(y)) }, fullPage: true });
await b.close();
