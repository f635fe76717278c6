using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Trawl.Crawling;
using Trawl.Downloader;
using Trawl.Hosting;
using Trawl.Tests.Engine;
using Trawl.Tests.Support;

namespace Trawl.Tests.Hosting;

/// <summary>A crawl's settings from configuration: appsettings.json, environment variables, code; and their validation when the host starts.</summary>
public sealed class TrawlConfigurationTests
{
    [Fact]
    public void AddTrawl_RegistersTheCrawlAsAHostedService()
    {
        using var host = TestHost.Create(new Dictionary<string, string?>(), services => services.AddTrawl(_ => new ListSpider("http://127.0.0.1:1/"), "Trawl"));

        host.Services.GetServices<IHostedService>().ShouldHaveSingleItem().ShouldBeOfType<CrawlService>();
    }

    [Fact]
    public void Settings_BindFromTheSection_NestedObjectsListsAndDomainsIncluded()
    {
        using var host = TestHost.Create(
            new Dictionary<string, string?>
            {
                ["Trawl:Concurrency"] = "3",
                ["Trawl:DownloadDelay"] = "00:00:01.5",
                ["Trawl:JobDir"] = "jobs/site",
                ["Trawl:Downloader:Timeout"] = "00:00:05",
                ["Trawl:Downloader:UserAgents:0"] = "one",
                ["Trawl:Downloader:UserAgents:1"] = "two",
                ["Trawl:Downloader:UserAgentRotation"] = "Random",
                ["Trawl:AllowedDomains:0"] = "example.com",
                ["Trawl:Domains:example.com:Concurrency"] = "2",
                ["Trawl:AutoThrottle:Enabled"] = "true",
                ["Trawl:RobotsTxt:Obey"] = "true",
                ["Trawl:Retry:HttpStatuses:0"] = "503",
                ["Trawl:Retry:HttpStatuses:1"] = "429",
                ["Trawl:Hosting:WhenFinished"] = "KeepRunning",
                ["Trawl:Hosting:PauseTimeout"] = "00:00:03",
            },
            services => services.AddTrawl(_ => new ListSpider(), "Trawl"));

        var options = host.Services.GetRequiredService<IOptionsMonitor<CrawlOptions>>().Get("Trawl");
        options.Concurrency.ShouldBe(3);
        options.DownloadDelay.ShouldBe(TimeSpan.FromSeconds(1.5));
        options.JobDir.ShouldBe("jobs/site");
        options.Downloader.Timeout.ShouldBe(TimeSpan.FromSeconds(5));
        options.Downloader.UserAgents.ShouldBe(["one", "two"]);
        options.Downloader.UserAgentRotation.ShouldBe(RotationOrder.Random);
        options.AllowedDomains.ShouldBe(["example.com"]);
        options.Domains["example.com"].Concurrency.ShouldBe(2);
        options.AutoThrottle.Enabled.ShouldBeTrue();
        options.RobotsTxt.Obey.ShouldBeTrue();
        options.Retry.HttpStatuses.ShouldBe([503, 429], ignoreOrder: true);
        options.ConcurrencyPerDomain.ShouldBe(8, "what the configuration does not say keeps its default");
        var hosting = host.Services.GetRequiredService<IOptionsMonitor<CrawlHostingOptions>>().Get("Trawl");
        hosting.WhenFinished.ShouldBe(WhenCrawlFinished.KeepRunning);
        hosting.PauseTimeout.ShouldBe(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void EnvironmentVariables_OverrideAppSettingsJson()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("appsettings.json"), """
            {
              // As a worker service ships it.
              "Trawl": { "Concurrency": 4, "Output": "pages.jsonl", "Downloader": { "Timeout": "00:00:30" } }
            }
            """);
        var prefix = $"TRAWL_TEST_{Guid.NewGuid():N}_";
        var variables = new Dictionary<string, string>
        {
            [prefix + "Trawl__Concurrency"] = "2",
            [prefix + "Trawl__Downloader__Timeout"] = "00:00:07",
            [prefix + "Trawl__Retry__HttpStatuses"] = "500,503",
            [prefix + "Trawl__Hosting__WhenFinished"] = "KeepRunning",
        };
        try
        {
            foreach (var (name, value) in variables)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            using var host = TestHost.Create(
                new Dictionary<string, string?>(),
                services => services.AddTrawl(_ => new ListSpider(), "Trawl"),
                config => config.AddJsonFile(temp.File("appsettings.json")).AddEnvironmentVariables(prefix));

            var options = host.Services.GetRequiredService<IOptionsMonitor<CrawlOptions>>().Get("Trawl");
            options.Concurrency.ShouldBe(2);
            options.Output.ShouldBe("pages.jsonl", "what the environment does not say comes from appsettings.json");
            options.Downloader.Timeout.ShouldBe(TimeSpan.FromSeconds(7));
            options.Retry.HttpStatuses.ShouldBe([500, 503], ignoreOrder: true);
            host.Services.GetRequiredService<IOptionsMonitor<CrawlHostingOptions>>().Get("Trawl").WhenFinished.ShouldBe(WhenCrawlFinished.KeepRunning);
        }
        finally
        {
            foreach (var name in variables.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    [Fact]
    public void RetryStatuses_None_RetriesNoStatus()
    {
        using var host = TestHost.Create(new Dictionary<string, string?> { ["Trawl:Retry:HttpStatuses"] = "none" }, services => services.AddTrawl(_ => new ListSpider(), "Trawl"));

        host.Services.GetRequiredService<IOptionsMonitor<CrawlOptions>>().Get("Trawl").Retry.HttpStatuses.ShouldBeEmpty();
    }

    [Fact]
    public void SettingsInCode_WinOverTheConfiguration_AndTheHostKeepsTheSignals()
    {
        using var host = TestHost.Create(
            new Dictionary<string, string?> { ["Trawl:Concurrency"] = "3", ["Trawl:ConcurrencyPerDomain"] = "2", ["Trawl:HandleSignals"] = "true" },
            services => services.AddTrawl(_ => new ListSpider(), "Trawl").Configure(options => options.Concurrency = 7));

        var options = host.Services.GetRequiredService<IOptionsMonitor<CrawlOptions>>().Get("Trawl");
        options.Concurrency.ShouldBe(7);
        options.ConcurrencyPerDomain.ShouldBe(2);
        options.HandleSignals.ShouldBeFalse("under a host, its shutdown pauses the crawl; the crawl never takes the signals itself");
    }

    [Fact]
    public void EachCrawl_HasItsOwnSection()
    {
        using var host = TestHost.Create(
            new Dictionary<string, string?> { ["Trawl:Concurrency"] = "3", ["Crawls:Other:Concurrency"] = "5" },
            services =>
            {
                services.AddTrawl(_ => new ListSpider(), "Trawl");
                services.AddTrawl(_ => new SiteSpider(new Uri("http://127.0.0.1:1/")), "Crawls:Other");
            });

        var monitor = host.Services.GetRequiredService<IOptionsMonitor<CrawlOptions>>();
        monitor.Get("Trawl").Concurrency.ShouldBe(3);
        monitor.Get("Crawls:Other").Concurrency.ShouldBe(5);
        host.Services.GetServices<IHostedService>().Count().ShouldBe(2);
    }

    [Fact]
    public void TwoCrawls_InOneSection_AreRefused()
    {
        var services = new ServiceCollection();
        services.AddTrawl(_ => new ListSpider(), "Trawl");

        var ex = Should.Throw<InvalidOperationException>(() => services.AddTrawl(_ => new SiteSpider(new Uri("http://127.0.0.1:1/")), "trawl"));

        ex.Message.ShouldContain("'trawl' already holds the settings of the crawl of ListSpider");
    }

    [Theory]
    [InlineData("Trawl:Concurrency", "0", "Crawl option Concurrency must be at least 1. It is set by Trawl:Concurrency (environment variable Trawl__Concurrency).")]
    [InlineData("Trawl:Downloader:Timeout", "00:00:00", "Crawl option Downloader.Timeout must be positive. It is set by Trawl:Downloader:Timeout (environment variable Trawl__Downloader__Timeout).")]
    [InlineData("Trawl:Concurency", "3", "Trawl:Concurency is not a setting of CrawlOptions")]
    [InlineData("Trawl:Downloader:Timeot", "00:00:05", "Trawl:Downloader:Timeot is not a setting of CrawlOptions")]
    [InlineData("Trawl:Domains:example.com:Concurency", "2", "Trawl:Domains:example.com:Concurency is not a setting of CrawlOptions")]
    [InlineData("Trawl:Concurrency", "many", "Failed to convert configuration value 'many' at 'Trawl:Concurrency' to type 'System.Int32'.")]
    [InlineData("Trawl:DownloadDelay", "soon", "at 'Trawl:DownloadDelay' to type 'System.TimeSpan'")]
    [InlineData("Trawl:Retry:HttpStatuses", "500,teapot", "Trawl:Retry:HttpStatuses holds 'teapot', which is not an HTTP status code")]
    [InlineData("Trawl:Hosting:WhenFinished", "Sometimes", "at 'Trawl:Hosting:WhenFinished' to type 'Trawl.Hosting.WhenCrawlFinished'")]
    [InlineData("Trawl:Hosting:WhenFinished", "7", "Trawl:Hosting:WhenFinished must be StopApplication or KeepRunning.")]
    [InlineData("Trawl:Hosting:PauseTimeout", "-00:00:01", "Trawl:Hosting:PauseTimeout must not be negative.")]
    [InlineData("Trawl:Hosting:Pause", "00:00:01", "Trawl:Hosting:Pause is not a setting of CrawlHostingOptions")]
    public async Task BadSetting_StopsTheHostAtStart_WithOneMessageNamingIt_BeforeAnythingIsCrawled(string key, string value, string message)
    {
        var spidersMade = 0;
        using var host = TestHost.Create(
            new Dictionary<string, string?> { [key] = value },
            services => services.AddTrawl(_ => { spidersMade++; return new ListSpider(); }, "Trawl"));

        var ex = await Should.ThrowAsync<OptionsValidationException>(() => host.Host.StartAsync());

        ex.Message.ShouldContain(message);
        ex.Failures.ShouldHaveSingleItem();
        spidersMade.ShouldBe(0);
    }
}
