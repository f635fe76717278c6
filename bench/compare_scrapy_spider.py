# The Scrapy side of bench/compare-scrapy.sh: the equivalent of trawl bench's declarative spider. From the start URL,
# follow every link on the site's host and yield one item per page with its URL and fields: NAME=SELECTOR separated by
# ';' (default title=title::text), each the first match, stripped, as trawl's --field gives it.
#
#   scrapy runspider bench/compare_scrapy_spider.py -a start=http://127.0.0.1:18290/ -a 'fields=title=title::text;h1=h1::text' -O items.jsonl
from urllib.parse import urlparse

import scrapy


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(self, start, fields="title=title::text", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_urls = [start]
        self.allowed_domains = [urlparse(start).hostname]
        self.fields = [field.split("=", 1) for field in fields.split(";") if field.strip()]

    def parse(self, response):
        item = {"url": response.url}
        for name, selector in self.fields:
            value = response.css(selector).get()
            item[name.strip()] = value.strip() if value is not None else None
        yield item
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, self.parse)
