namespace Trawl.Tests.Selectors;

/// <summary>A page shaped like quotes.toscrape.com: the page most Scrapy tutorials start from.</summary>
internal static class QuotesPage
{
    public const string Html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
            <meta charset="UTF-8">
            <title>Quotes to Scrape</title>
            <link rel="stylesheet" href="/static/bootstrap.min.css">
        </head>
        <body>
            <div class="container">
                <div class="row header-box">
                    <div class="col-md-8">
                        <h1><a href="/" style="text-decoration: none">Quotes to Scrape</a></h1>
                    </div>
                    <div class="col-md-4"><p><a href="/login">Login</a></p></div>
                </div>
            <div class="row">
            <div class="col-md-8">
            <div class="quote" itemscope itemtype="http://schema.org/CreativeWork">
                <span class="text" itemprop="text">“The world as we have created it is a process of our thinking.”</span>
                <span>by <small class="author" itemprop="author">Albert Einstein</small>
                <a href="/author/Albert-Einstein">(about)</a>
                </span>
                <div class="tags">
                    Tags:
                    <meta class="keywords" itemprop="keywords" content="change,deep-thoughts,thinking,world" >
                    <a class="tag" href="/tag/change/page/1/">change</a>
                    <a class="tag" href="/tag/deep-thoughts/page/1/">deep-thoughts</a>
                    <a class="tag" href="/tag/thinking/page/1/">thinking</a>
                    <a class="tag" href="/tag/world/page/1/">world</a>
                </div>
            </div>
            <div class="quote" itemscope itemtype="http://schema.org/CreativeWork">
                <span class="text" itemprop="text">“It is our choices, Harry, that show what we truly are, far more than our abilities.”</span>
                <span>by <small class="author" itemprop="author">J.K. Rowling</small>
                <a href="/author/J-K-Rowling">(about)</a>
                </span>
                <div class="tags">
                    Tags:
                    <meta class="keywords" itemprop="keywords" content="abilities,choices" >
                    <a class="tag" href="/tag/abilities/page/1/">abilities</a>
                    <a class="tag" href="/tag/choices/page/1/">choices</a>
                </div>
            </div>
            <div class="quote" itemscope itemtype="http://schema.org/CreativeWork">
                <span class="text" itemprop="text">“A day without sunshine is like, you know, night.”</span>
                <span>by <small class="author" itemprop="author">Steve Martin</small>
                <a href="/author/Steve-Martin">(about)</a>
                </span>
                <div class="tags">
                    Tags:
                    <meta class="keywords" itemprop="keywords" content="" >
                </div>
            </div>
            <nav>
                <ul class="pager">
                    <li class="next">
                        <a href="/page/2/">Next <span aria-hidden="true">&rarr;</span></a>
                    </li>
                </ul>
            </nav>
            </div>
            </div>
            </div>
            <footer class="footer">
                <div class="container">
                    <p class="text-muted">Quotes by: <a href="https://www.goodreads.com/quotes">GoodReads.com</a></p>
                </div>
            </footer>
        </body>
        </html>
        """;
}
