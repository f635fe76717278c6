using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Items;
using Trawl.Middleware;
using Trawl.Politeness;
using Trawl.Spiders;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

/// <summary>
/// How a crawl is put together: settings in <see cref="CrawlOptions"/>, validated once the spider has had its say and
/// frozen for the run; runtime handles on <see cref="CrawlerBuilder"/>.
/// </summary>
public sealed class CrawlerBuilderTests
{
    private static CrawlOptions Options() => new() { HandleSignals = false };

    [Fact]
    public void Build_FreezesTheOptions_AndEverySettingTheyHold()
    {
        var options = Options();
        var site = new DomainSettings { Concurrency = 2 };
        options.Domains["example.com"] = site;
        options.AllowedDomains.Add("example.com");
        options.Downloader.Proxies.Add("http://127.0.0.1:3128");

        new CrawlerBuilder(new ListSpider("https://example.com/"), options).Build();

        options.IsFrozen.ShouldBeTrue();
        var changes = new (string Option, Action Change)[]
        {
            ("Concurrency", () => options.Concurrency = 3),
            ("Output", () => options.Output = "items.jsonl"),
            ("AllowedDomains", () => options.AllowedDomains.Add("example.org")),
            ("AllowedDomains", () => options.AllowedDomains.Clear()),
            ("Domains", () => options.Domains["example.org"] = new DomainSettings()),
            ("Domains", () => options.Domains.Remove("example.com")),
            ("Domains[].Concurrency", () => site.Concurrency = 5),
            ("Downloader.Timeout", () => options.Downloader.Timeout = TimeSpan.FromSeconds(1)),
            ("Downloader.UserAgents", () => options.Downloader.UserAgents.Add("bot")),
            ("Downloader.Proxies", () => options.Downloader.Proxies[0] = "http://127.0.0.1:8080"),
            ("Retry.MaxRetries", () => options.Retry.MaxRetries = 0),
            ("Retry.HttpStatuses", () => options.Retry.HttpStatuses.Add(418)),
            ("Retry.HttpStatuses", () => options.Retry.HttpStatuses.ExceptWith([500])),
            ("AutoThrottle.Enabled", () => options.AutoThrottle.Enabled = true),
            ("RobotsTxt.Obey", () => options.RobotsTxt.Obey = true),
        };
        foreach (var (option, change) in changes)
        {
            var error = Should.Throw<InvalidOperationException>(change, option);
            error.Message.ShouldStartWith($"Crawl option {option} cannot be changed");
        }

        options.Concurrency.ShouldBe(16);
        options.AllowedDomains.ShouldBe(["example.com"]);
        options.Domains.Keys.ShouldBe(["example.com"]);
        site.Concurrency.ShouldBe(2);
        options.Downloader.Proxies.ShouldBe(["http://127.0.0.1:3128"]);
        options.Retry.HttpStatuses.ShouldContain(500);
        options.Retry.HttpStatuses.ShouldNotContain(418);
    }

    /// <summary>
    /// Every public setter of the options and of the settings objects they hold refuses a change once frozen, so a
    /// setting added later cannot forget to.
    /// </summary>
    [Fact]
    public void Build_FreezesEverySetter_OfTheOptionsAndTheirSettingsObjects()
    {
        var options = Options();
        options.Domains["example.com"] = new DomainSettings();
        new CrawlerBuilder(new ListSpider("https://example.com/"), options).Build();

        var unfrozen = new List<string>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        Visit(options, "");
        Visit(options.Domains["example.com"], "Domains[].");
        unfrozen.ShouldBeEmpty();

        void Visit(object settings, string path)
        {
            if (!seen.Add(settings))
            {
                return;
            }

            foreach (var property in settings.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetIndexParameters().Length > 0)
                {
                    continue;
                }

                var value = property.GetValue(settings);
                if (property.SetMethod is { IsPublic: true } setter && !setter.ReturnParameter.GetRequiredCustomModifiers().Any(static m => m.Name == "IsExternalInit"))
                {
                    try
                    {
                        property.SetValue(settings, value);
                        unfrozen.Add(path + property.Name);
                    }
                    catch (TargetInvocationException error) when (error.InnerException is InvalidOperationException)
                    {
                    }
                }

                if (value is not null && property.PropertyType.Namespace?.StartsWith("Trawl", StringComparison.Ordinal) == true && property.PropertyType.IsClass)
                {
                    Visit(value, path + property.Name + ".");
                }
            }
        }
    }

    [Fact]
    public async Task DuringARun_ChangingAnOption_Throws_AndTheRunKeepsItsSettings()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var options = Options();
        options.Concurrency = 2;
        var meddler = new OptionsMeddler(options);

        var result = await new CrawlerBuilder(new ListSpider(new Uri(server.BaseUrl, "/pages/0").AbsoluteUri, new Uri(server.BaseUrl, "/pages/1").AbsoluteUri), options)
            .AddMiddleware(meddler)
            .Build()
            .RunAsync();

        result.Stats.Pages.ShouldBe(2);
        meddler.Errors.Count.ShouldBe(4, "two changes tried on each of two requests");
        meddler.Errors.ShouldAllBe(error => error is InvalidOperationException);
        options.Concurrency.ShouldBe(2);
        options.AllowedDomains.ShouldBeEmpty();
    }

    [Fact]
    public void Build_LetsTheSpiderConfigureFirst_ThenValidates_AndFreezesNothingWhenInvalid()
    {
        var options = Options();
        options.Concurrency = 4;

        var error = Should.Throw<ArgumentException>(() => new CrawlerBuilder(new ConfiguringSpider(o => o.Downloader.Timeout = TimeSpan.Zero), options).Build());

        error.Message.ShouldBe("Crawl option Downloader.Timeout must be positive. (Parameter 'Downloader.Timeout')");
        options.IsFrozen.ShouldBeFalse();
        options.Downloader.Timeout = TimeSpan.FromSeconds(5);
        options.Downloader.Timeout.ShouldBe(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Build_CallsTheSpidersConfigureOptions_Once_BeforeFreezing()
    {
        var options = Options();
        var spider = new ConfiguringSpider(o => o.AllowedDomains.Add("example.com"));

        var crawler = new CrawlerBuilder(spider, options).Build();

        spider.Configured.ShouldBe(1);
        crawler.Options.ShouldBeSameAs(options);
        crawler.Options.AllowedDomains.ShouldBe(["example.com"]);
    }

    [Fact]
    public async Task FrozenOptions_RunAgain_AsTheyAre_WithoutConfiguringThemTwice()
    {
        await using var server = await TestSites.StartAsync(pages: 3);
        var options = Options();
        var spider = new ConfiguringSpider(o => o.AllowedDomains.Add("127.0.0.1"), new Uri(server.BaseUrl, "/pages/0").AbsoluteUri);

        var first = await spider.RunAsync(options);
        var second = await spider.RunAsync(options);

        first.Stats.Pages.ShouldBe(1);
        second.Stats.Pages.ShouldBe(1);
        spider.Configured.ShouldBe(1);
        options.AllowedDomains.ShouldBe(["127.0.0.1"]);
    }

    [Theory]
    [InlineData(0, "Concurrency")]
    [InlineData(1, "AllowedDomains")]
    [InlineData(2, "Domains")]
    [InlineData(3, "Retry.MaxBackoff")]
    [InlineData(4, "AutoThrottle.TargetConcurrency")]
    [InlineData(5, "RobotsTxt.UserAgent")]
    [InlineData(6, "Downloader.Proxies")]
    [InlineData(7, "Domains[example.com].DownloadDelay")]
    public void Validate_NamesTheFirstBadOption(int which, string option)
    {
        var options = Options();
        Action<CrawlOptions> spoil = which switch
        {
            0 => o => o.Concurrency = 0,
            1 => o => o.AllowedDomains.Add("https://example.com/"),
            2 => o => o.Domains["example.com:8080"] = new DomainSettings(),
            3 => o => o.Retry.MaxBackoff = TimeSpan.Zero,
            4 => o => o.AutoThrottle.TargetConcurrency = double.NaN,
            5 => o => o.RobotsTxt.UserAgent = "My Bot/1.0",
            6 => o => o.Downloader.Proxies.Add("ftp://user:hunter2@proxy.example:21"),
            _ => o => o.Domains["example.com"] = new DomainSettings { DownloadDelay = TimeSpan.FromSeconds(-1) },
        };
        spoil(options);

        var error = Should.Throw<ArgumentException>(options.Validate);

        error.ParamName.ShouldBe(option);
        error.Message.ShouldStartWith($"Crawl option {option} ");
        error.Message.ShouldNotContain("hunter2");
    }

    [Fact]
    public async Task Build_RefusesAJobDirectory_WithAFrontierOfItsOwn()
    {
        using var temp = new TempDirectory();
        var options = Options();
        options.JobDir = temp.File("job");
        await using var frontier = new MemoryFrontier(TimeProvider.System);

        var error = Should.Throw<ArgumentException>(() => new CrawlerBuilder(new ListSpider("https://example.com/"), options).UseFrontier(frontier).Build());

        error.Message.ShouldContain("JobDir");
        options.IsFrozen.ShouldBeFalse();
    }

    [Fact]
    public void ABuilder_BuildsOnce()
    {
        var builder = new CrawlerBuilder(new ListSpider("https://example.com/"), Options());
        builder.Build();

        Should.Throw<InvalidOperationException>(() => builder.Build());
        Should.Throw<InvalidOperationException>(() => builder.AddPipeline(new PassThrough()));
        Should.Throw<InvalidOperationException>(() => builder.UseTimeProvider(TimeProvider.System));
    }

    /// <summary>Tries to change the crawl's options from inside the run, and keeps what that threw.</summary>
    private sealed class OptionsMeddler(CrawlOptions options) : DownloaderMiddleware
    {
        public List<Exception> Errors { get; } = [];

        public override ValueTask<Request?> ProcessRequestAsync(Request request, CancellationToken cancellationToken)
        {
            Try(() => options.Concurrency = 1);
            Try(() => options.AllowedDomains.Add("example.com"));
            return new(request);
        }

        private void Try(Action change)
        {
            try
            {
                change();
            }
            catch (Exception ex)
            {
                lock (Errors)
                {
                    Errors.Add(ex);
                }
            }
        }
    }

    private sealed class ConfiguringSpider(Action<CrawlOptions> configure, params string[] urls) : Spider
    {
        public int Configured { get; private set; }

        public override IEnumerable<string> StartUrls => urls;

        public override void ConfigureOptions(CrawlOptions options)
        {
            Configured++;
            configure(options);
        }

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return new { url = response.Url.AbsoluteUri };
            await Task.CompletedTask;
        }
    }

    private sealed class PassThrough : ItemPipeline
    {
        public override ValueTask<JsonObject?> ProcessAsync(JsonObject item, CancellationToken cancellationToken) => new(item);
    }
}
