# The Scrapy side of bench/compare-scrapy.sh: the equivalent of trawl bench's declarative spider. From the start URL,
# follow every link on the site's host and yield one item per page with its URL and title.
#
#   scrapy runspider bench/compare_scrapy_spider.py -a start=http://127.0.0.1:18290/ -O items.jsonl
from urllib.parse import urlparse

import scrapy


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(self, start, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_urls = [start]
        self.allowed_domains = [urlparse(start).hostname]

    def parse(self, response):
        yield {"url": response.url, "title": response.css("title::text").get()}
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, self.parse)
