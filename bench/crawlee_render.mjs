// Crawlee's PlaywrightCrawler on the sandbox's mixed site, for bench/render.sh: every page rendered in the given Chromium,
// one item (url, h1) per page, links on the start host followed. Prints one JSON line with its figures.
//   node crawlee_render.mjs START_URL CHROMIUM MAX_CONCURRENCY
import { PlaywrightCrawler, Configuration } from 'crawlee';

const [start, chromium, concurrency] = process.argv.slice(2);
const started = Date.now();
let items = 0;
const crawler = new PlaywrightCrawler({
    launchContext: { launchOptions: { executablePath: chromium, headless: true } },
    headless: true,
    maxConcurrency: Number(concurrency),
    minConcurrency: Number(concurrency),
    maxRequestRetries: 2,
    requestHandlerTimeoutSecs: 30,
    // As trawl blocks by default: images, fonts and media are not loaded.
    preNavigationHooks: [async ({ blockRequests }) => { await blockRequests(); }],
    async requestHandler({ page, enqueueLinks, pushData, request }) {
        await page.waitForSelector('h1', { timeout: 30_000 });
        const title = await page.textContent('h1');
        await pushData({ url: request.loadedUrl ?? request.url, title });
        items++;
        await enqueueLinks({ strategy: 'same-origin' });
    },
}, new Configuration({ persistStorage: false, purgeOnStart: true }));
await crawler.run([start]);
const seconds = (Date.now() - started) / 1000;
console.log(JSON.stringify({ items, seconds, pagesPerSecond: items / seconds }));
