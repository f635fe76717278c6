using System.CommandLine;
using System.Globalization;
using Trawl.Cli.Hosting;
using Trawl.Crawling;
using Trawl.Downloader;
using Trawl.Http;
using Trawl.Items;
using Trawl.Politeness;

namespace Trawl.Cli.Commands;

/// <summary>The options every crawling command shares, and how they map onto <see cref="CrawlOptions"/>.</summary>
internal sealed class CrawlSettingsOptions
{
    public Option<string?> Output { get; } = new("--output", "-o") { Description = "Write items to FILE as they are crawled; the format follows the extension: .jsonl, .json or .csv.", HelpName = "FILE" };

    public Option<long?> Limit { get; } = new("--limit") { Description = "Stop after fetching N pages (a test crawl).", HelpName = "N" };

    public Option<long?> ItemLimit { get; } = new("--item-limit") { Description = "Stop after N items.", HelpName = "N" };

    public Option<int?> Concurrency { get; } = new("--concurrency", "-c") { Description = "Requests in flight at once, in all (default 16).", HelpName = "N" };

    public Option<int?> ConcurrencyPerDomain { get; } = new("--concurrency-per-domain") { Description = "Requests in flight at once to one domain (default 8).", HelpName = "N" };

    public Option<double?> Delay { get; } = new("--delay") { Description = "Seconds between requests to one domain, randomized 0.5x-1.5x (default 0).", HelpName = "SECONDS" };

    public Option<bool> NoRandomizeDelay { get; } = new("--no-randomize-delay") { Description = "Wait exactly --delay between requests to a domain, not 0.5x-1.5x of it." };

    public Option<string[]> DomainDelay { get; } = new("--domain-delay") { Description = "Delay for one domain and its subdomains: DOMAIN=SECONDS (repeatable).", HelpName = "DOMAIN=SECONDS" };

    public Option<string[]> DomainConcurrency { get; } = new("--domain-concurrency") { Description = "Requests in flight to one domain and its subdomains: DOMAIN=N (repeatable).", HelpName = "DOMAIN=N" };

    public Option<long?> MaxPagesPerDomain { get; } = new("--max-pages-per-domain") { Description = "Fetch at most N pages from each domain per run; the rest are recorded as skipped (domain_limit).", HelpName = "N" };

    public Option<bool> AutoThrottle { get; } = new("--autothrottle") { Description = "Adapt each domain's delay to its latency (AutoThrottle)." };

    public Option<double?> AutoThrottleStartDelay { get; } = new("--autothrottle-start-delay") { Description = "AutoThrottle's first delay per domain, in seconds (default 5).", HelpName = "SECONDS" };

    public Option<double?> AutoThrottleMaxDelay { get; } = new("--autothrottle-max-delay") { Description = "AutoThrottle's longest delay, in seconds (default 60).", HelpName = "SECONDS" };

    public Option<double?> AutoThrottleTarget { get; } = new("--autothrottle-target-concurrency") { Description = "Requests AutoThrottle aims to have in flight per domain (default 1.0).", HelpName = "X" };

    public Option<double?> MaxRetryAfter { get; } = new("--max-retry-after") { Description = "Longest Retry-After (on 429 and 503) honoured, in seconds (default 600; 0 ignores Retry-After).", HelpName = "SECONDS" };

    public Option<bool> IgnoreRobots { get; } = new("--ignore-robots") { Description = "Do not fetch or obey robots.txt (obeyed by default)." };

    public Option<string?> RobotsUserAgent { get; } = new("--robots-user-agent") { Description = "The product token matched against robots.txt User-agent lines (default: that of --user-agent, Trawl).", HelpName = "TOKEN" };

    public Option<string[]> AllowDomain { get; } = new("--allow-domain") { Description = "Visit only this domain and its subdomains, redirects included (repeatable; default: any).", HelpName = "DOMAIN" };

    public Option<bool> AllowPrivateRedirects { get; } = new("--allow-private-redirects") { Description = "Follow redirects from a public address to a private or loopback one (refused by default, as browsers do)." };

    public Option<string?> RecrawlAfter { get; } = new("--recrawl-after") { Description = "Re-running a kept, finished job: fetch again pages older than DURATION (like 90s, 30m, 12h, 7d).", HelpName = "DURATION" };

    public Option<int?> MaxDepth { get; } = new("--max-depth") { Description = "Do not follow links deeper than N from a start page.", HelpName = "N" };

    public Option<int?> MaxLinksPerPage { get; } = new("--max-links-per-page") { Description = "Take at most N links from one page; the rest are counted as links_truncated (default 100,000; 0 for no limit).", HelpName = "N" };

    public Option<string[]> UserAgent { get; } = new("--user-agent") { Description = "The User-Agent header; repeat it to rotate through several.", HelpName = "TEXT" };

    public Option<string?> UserAgentsFile { get; } = new("--user-agents-file") { Description = "Rotate through the user agents in FILE, one per line.", HelpName = "FILE" };

    public Option<string?> UserAgentRotation { get; } = new("--user-agent-rotation") { Description = "How rotating user agents are picked: round-robin (default) or random.", HelpName = "ORDER" };

    public Option<string[]> Proxy { get; } = new("--proxy") { Description = "Send requests through this proxy: http://, socks5://, socks4:// or socks4a://, optionally USER:PASSWORD@ (repeatable, rotated).", HelpName = "URL" };

    public Option<string?> ProxiesFile { get; } = new("--proxies-file") { Description = "Rotate through the proxies in FILE, one URL per line.", HelpName = "FILE" };

    public Option<string?> ProxyRotation { get; } = new("--proxy-rotation") { Description = "How rotating proxies are picked: round-robin (default) or random.", HelpName = "ORDER" };

    public Option<double?> Timeout { get; } = new("--timeout") { Description = "Seconds one download may take in all (default 30).", HelpName = "SECONDS" };

    public Option<double?> ParseTimeout { get; } = new("--parse-timeout") { Description = "Seconds parsing one page into a document may take before it fails as parse_limit (default 10).", HelpName = "SECONDS" };

    public Option<string?> MaxBytesInFlight { get; } = new("--max-bytes-in-flight") { Description = "Most bytes of response bodies downloaded or being parsed at once; a large page waits while they are used (default 16M; 'none' for no limit).", HelpName = "SIZE" };

    public Option<int?> Retries { get; } = new("--retries") { Description = "Retries of a failed request: network errors, 5xx, 408, 429 (default 2).", HelpName = "N" };

    public Option<string?> RetryStatus { get; } = new("--retry-status") { Description = "HTTP statuses to retry, comma-separated (default 500,502,503,504,522,524,408,429); 'none' for none.", HelpName = "CODES" };

    public Option<string?> JobDir { get; } = new("--jobdir", "--crawldir") { Description = "Keep the crawl's state in DIR: Ctrl+C or a kill, then the same command resumes. Default without --limit: $TRAWL_DATA_DIR/NAME or ./.trawl/jobs/NAME.", HelpName = "DIR" };

    public Option<bool> NoJob { get; } = new("--no-job") { Description = "Crawl in memory only: nothing to resume after a stop." };

    public Option<bool> KeepJob { get; } = new("--keep-job") { Description = "Keep the job directory when the crawl finishes (for auditing and incremental re-crawls)." };

    public Option<bool> Fresh { get; } = new("--fresh") { Description = "Move an existing job directory aside (DIR.bak-TIMESTAMP) and start over." };

    public Option<double?> CheckpointInterval { get; } = new("--checkpoint-interval") { Description = "Most seconds of finished work a crash can cost; progress is committed in groups within it (default 1; 0 commits every page).", HelpName = "SECONDS" };

    public Option<string?> Frontier { get; } = new("--frontier") { Description = "Join a crawl shared on Redis: redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss:// for TLS. No job directory then.", HelpName = "URL" };

    public Option<double?> IdleTimeout { get; } = new("--idle-timeout") { Description = "With --frontier: exit once the shared crawl has been finished this many seconds (default 10).", HelpName = "SECONDS" };

    public Option<bool> Wait { get; } = new("--wait") { Description = "With --frontier: never exit when the crawl is finished; wait for new seeds." };

    public Option<double?> GlobalRate { get; } = new("--global-rate") { Description = "With --frontier: requests per second to one domain, across all workers of the crawl (recorded with the crawl).", HelpName = "R" };

    public Option<int?> GlobalBurst { get; } = new("--global-burst") { Description = "With --global-rate: requests that may go at once after a quiet spell (default: a tenth of a second's worth, at least 1).", HelpName = "N" };

    public Option<int?> GlobalConcurrency { get; } = new("--global-concurrency") { Description = "With --frontier: requests in flight to one domain, across all workers of the crawl (recorded with the crawl).", HelpName = "N" };

    public Option<string?> Metrics { get; } = new("--metrics") { Description = "Serve Prometheus metrics at http://HOST:PORT/metrics while crawling. A bare PORT listens on 127.0.0.1; give 0.0.0.0:PORT to be reachable from the network.", HelpName = "[HOST:]PORT" };

    public Option<string?> LogLevel { get; } = new("--log-level") { Description = "trace, debug, info, warning, error or none (default info; warning under the live display).", HelpName = "LEVEL" };

    public Option<string?> LogFile { get; } = new("--log-file") { Description = "Also append the log to FILE.", HelpName = "FILE" };

    public Option<bool> NoProgress { get; } = new("--no-progress") { Description = "No live progress display; log a progress line every few seconds instead." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[]
        {
            Output, Limit, ItemLimit, Concurrency, ConcurrencyPerDomain, Delay, NoRandomizeDelay, DomainDelay, DomainConcurrency, MaxPagesPerDomain,
            AutoThrottle, AutoThrottleStartDelay, AutoThrottleMaxDelay, AutoThrottleTarget, MaxRetryAfter, IgnoreRobots, RobotsUserAgent, AllowDomain, AllowPrivateRedirects,
            MaxDepth, MaxLinksPerPage, UserAgent, UserAgentsFile, UserAgentRotation, Proxy, ProxiesFile, ProxyRotation, Timeout, ParseTimeout, MaxBytesInFlight, Retries, RetryStatus,
            JobDir, NoJob, KeepJob, Fresh, RecrawlAfter, CheckpointInterval, Frontier, IdleTimeout, Wait, GlobalRate, GlobalBurst, GlobalConcurrency, Metrics,
            LogLevel, LogFile, NoProgress,
        })
        {
            command.Add(option);
        }
    }

    public CommonCrawlSettings Common(ParseResult parse)
    {
        var level = parse.GetValue(LogLevel);
        return new CommonCrawlSettings(CliLogging.ParseLevel(level), level is not null, parse.GetValue(LogFile), parse.GetValue(NoProgress))
        {
            Cluster = Cluster(parse),
            Metrics = parse.GetValue(Metrics) is { } metrics ? MetricsAddress.Parse(metrics) : null,
        };
    }

    /// <summary>The Redis worker settings, or <see langword="null"/> without <c>--frontier</c>.</summary>
    public ClusterSettings? Cluster(ParseResult parse)
    {
        var url = parse.GetValue(Frontier);
        if (url is null)
        {
            if (parse.GetValue(IdleTimeout) is not null || parse.GetValue(Wait))
            {
                throw new CliUsageException("--idle-timeout and --wait apply to a crawl shared on Redis: add --frontier redis://HOST:PORT.");
            }

            if (parse.GetValue(GlobalRate) is not null || parse.GetValue(GlobalBurst) is not null || parse.GetValue(GlobalConcurrency) is not null)
            {
                throw new CliUsageException("--global-rate, --global-burst and --global-concurrency limit a crawl shared on Redis: add --frontier redis://HOST:PORT (for one process, use --delay and --concurrency-per-domain).");
            }

            return null;
        }

        var redisUrl = FrontierUrl.Parse(url, "--frontier");
        if (parse.GetValue(Wait) && parse.GetValue(IdleTimeout) is not null)
        {
            throw new CliUsageException("--wait and --idle-timeout contradict each other: --wait never exits, --idle-timeout exits once the crawl is finished.");
        }

        var idle = parse.GetValue(IdleTimeout) is { } seconds ? Seconds(seconds, "--idle-timeout", allowZero: true) : TimeSpan.FromSeconds(10);
        return new ClusterSettings(url, redisUrl.RedactedUrl, idle, parse.GetValue(Wait)) { Limits = GlobalLimits(parse) };
    }

    // The cluster-wide per-domain limits given on the command line, or null to adopt those the crawl has recorded.
    private GlobalLimitSettings? GlobalLimits(ParseResult parse)
    {
        var rate = parse.GetValue(GlobalRate);
        var burst = parse.GetValue(GlobalBurst);
        var concurrency = parse.GetValue(GlobalConcurrency);
        if (rate is null && burst is null && concurrency is null)
        {
            return null;
        }

        if (burst is not null && rate is null)
        {
            throw new CliUsageException("--global-burst sizes the bucket of --global-rate: add --global-rate R.");
        }

        return new GlobalLimitSettings(
            rate is { } r ? (double.IsFinite(r) && r > 0 && r <= 100_000 ? r : throw new CliUsageException($"--global-rate must be a number of requests per second above 0 and at most 100000, not {r}.")) : 0,
            burst is { } b ? (b is >= 1 and <= 100_000 ? b : throw new CliUsageException($"--global-burst must be a whole number from 1 to 100000, not {b}.")) : null,
            concurrency is { } c ? (c is >= 1 and <= 100_000 ? c : throw new CliUsageException($"--global-concurrency must be a whole number from 1 to 100000, not {c}.")) : 0);
    }

    /// <summary>Applies the parsed options and checks them, throwing <see cref="CliUsageException"/> with one clear message.</summary>
    public CrawlOptions Build(ParseResult parse)
    {
        var options = new CrawlOptions();
        if (parse.GetValue(Output) is { } output)
        {
            try
            {
                ItemExporters.FormatOf(output);
                ItemExporters.CheckWritable(output);
            }
            catch (Exception ex) when (ex is ArgumentException or ItemExportException)
            {
                throw new CliUsageException(ex.Message);
            }

            options.Output = output;
        }

        options.Limit = Positive(parse.GetValue(Limit), "--limit");
        options.ItemLimit = Positive(parse.GetValue(ItemLimit), "--item-limit");
        options.Concurrency = (int)(Positive(parse.GetValue(Concurrency), "--concurrency") ?? options.Concurrency);
        options.ConcurrencyPerDomain = (int)(Positive(parse.GetValue(ConcurrencyPerDomain), "--concurrency-per-domain") ?? options.ConcurrencyPerDomain);
        if (parse.GetValue(Delay) is { } delay)
        {
            options.DownloadDelay = Seconds(delay, "--delay", allowZero: true);
        }

        if (parse.GetValue(MaxDepth) is { } depth)
        {
            options.MaxDepth = depth >= 0 ? depth : throw new CliUsageException("--max-depth must not be negative.");
        }

        if (parse.GetValue(MaxLinksPerPage) is { } links)
        {
            options.MaxLinksPerPage = links > 0 ? links : links == 0 ? null : throw new CliUsageException($"--max-links-per-page must be a positive number, or 0 for no limit, not {links}.");
        }

        ApplyPoliteness(parse, options);
        ApplyUserAgents(parse, options);
        ApplyProxies(parse, options);

        if (parse.GetValue(Timeout) is { } timeout)
        {
            options.Downloader.Timeout = Seconds(timeout, "--timeout", allowZero: false);
        }

        if (parse.GetValue(ParseTimeout) is { } parseTimeout)
        {
            options.MaxParseTime = Seconds(parseTimeout, "--parse-timeout", allowZero: false);
        }

        if (parse.GetValue(MaxBytesInFlight) is { } budget)
        {
            options.MaxResponseBytesInFlight = ParseBytesInFlight(budget);
        }

        if (parse.GetValue(Retries) is { } retries)
        {
            options.Retry.MaxRetries = retries >= 0 ? retries : throw new CliUsageException("--retries must not be negative.");
        }

        if (parse.GetValue(RetryStatus) is { } statuses)
        {
            options.Retry.HttpStatuses.Clear();
            if (!string.Equals(statuses.Trim(), "none", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var code in statuses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    options.Retry.HttpStatuses.Add(int.TryParse(code, out var status) && status is >= 100 and <= 599
                        ? status
                        : throw new CliUsageException($"Invalid --retry-status '{statuses}': give HTTP status codes separated by commas, like 500,503,429."));
                }
            }
        }

        if (parse.GetValue(CheckpointInterval) is { } checkpoint)
        {
            options.CheckpointInterval = Seconds(checkpoint, "--checkpoint-interval", allowZero: true);
        }

        return options;
    }

    private void ApplyPoliteness(ParseResult parse, CrawlOptions options)
    {
        options.RandomizeDownloadDelay = !parse.GetValue(NoRandomizeDelay);
        foreach (var (domain, value) in Pairs(parse.GetValue(DomainDelay), "--domain-delay", "DOMAIN=SECONDS, like example.com=2"))
        {
            SettingsFor(options, domain, "--domain-delay").DownloadDelay =
                double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds) && seconds is >= 0 and < 86_400
                    ? TimeSpan.FromSeconds(seconds)
                    : throw new CliUsageException($"Invalid --domain-delay {domain}={value}: the delay must be a number of seconds, 0 or more.");
        }

        foreach (var (domain, value) in Pairs(parse.GetValue(DomainConcurrency), "--domain-concurrency", "DOMAIN=N, like example.com=2"))
        {
            SettingsFor(options, domain, "--domain-concurrency").Concurrency = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
                ? n
                : throw new CliUsageException($"Invalid --domain-concurrency {domain}={value}: the concurrency must be a whole number of at least 1.");
        }

        options.MaxPagesPerDomain = Positive(parse.GetValue(MaxPagesPerDomain), "--max-pages-per-domain");

        var throttleFlags = parse.GetValue(AutoThrottleStartDelay) is not null || parse.GetValue(AutoThrottleMaxDelay) is not null || parse.GetValue(AutoThrottleTarget) is not null;
        if (throttleFlags && !parse.GetValue(AutoThrottle))
        {
            throw new CliUsageException("--autothrottle-start-delay, --autothrottle-max-delay and --autothrottle-target-concurrency tune AutoThrottle: add --autothrottle.");
        }

        options.AutoThrottle.Enabled = parse.GetValue(AutoThrottle);
        if (parse.GetValue(AutoThrottleStartDelay) is { } start)
        {
            options.AutoThrottle.StartDelay = Seconds(start, "--autothrottle-start-delay", allowZero: true);
        }

        if (parse.GetValue(AutoThrottleMaxDelay) is { } max)
        {
            options.AutoThrottle.MaxDelay = Seconds(max, "--autothrottle-max-delay", allowZero: false);
        }

        if (options.AutoThrottle.MaxDelay < options.AutoThrottle.StartDelay)
        {
            throw new CliUsageException($"--autothrottle-max-delay ({options.AutoThrottle.MaxDelay.TotalSeconds:0.###} s) must be at least the start delay ({options.AutoThrottle.StartDelay.TotalSeconds:0.###} s).");
        }

        if (parse.GetValue(AutoThrottleTarget) is { } target)
        {
            options.AutoThrottle.TargetConcurrency = double.IsFinite(target) && target > 0 && target <= 1000
                ? target
                : throw new CliUsageException($"--autothrottle-target-concurrency must be a number above 0, not {target}.");
        }

        if (parse.GetValue(MaxRetryAfter) is { } retryAfter)
        {
            options.Retry.MaxRetryAfter = Seconds(retryAfter, "--max-retry-after", allowZero: true);
        }

        options.RobotsTxt.Obey = !parse.GetValue(IgnoreRobots);
        if (parse.GetValue(RobotsUserAgent) is { } token)
        {
            options.RobotsTxt.UserAgent = RobotsTxtOptions.IsValidProductToken(token.Trim())
                ? token.Trim()
                : throw new CliUsageException($"Invalid --robots-user-agent '{token}': give a product token of letters, '-' and '_', like MyBot.");
        }

        foreach (var domain in parse.GetValue(AllowDomain) ?? [])
        {
            options.AllowedDomains.Add(DomainNames.Normalize(domain) is not null
                ? domain.Trim()
                : throw new CliUsageException($"Invalid --allow-domain '{domain}': give a host name such as example.com, not a URL."));
        }

        options.Downloader.AllowPrivateRedirects = parse.GetValue(AllowPrivateRedirects);
        if (parse.GetValue(RecrawlAfter) is { } recrawl)
        {
            options.RecrawlAfter = Durations.TryParse(recrawl, out var age) && age > TimeSpan.Zero
                ? age
                : throw new CliUsageException($"Invalid --recrawl-after '{recrawl}': give a duration such as 90s, 30m, 12h, 7d or 1h30m.");
        }
    }

    private void ApplyUserAgents(ParseResult parse, CrawlOptions options)
    {
        var agents = new List<string>();
        foreach (var agent in parse.GetValue(UserAgent) ?? [])
        {
            agents.Add(string.IsNullOrWhiteSpace(agent) ? throw new CliUsageException("--user-agent must not be empty.") : agent.Trim());
        }

        if (parse.GetValue(UserAgentsFile) is { } file)
        {
            agents.AddRange(ReadList(file, "--user-agents-file", "user agents"));
        }

        if (agents.Count == 1)
        {
            options.Downloader.UserAgent = agents[0];
        }
        else if (agents.Count > 1)
        {
            foreach (var agent in agents)
            {
                options.Downloader.UserAgents.Add(agent);
            }
        }

        if (parse.GetValue(UserAgentRotation) is { } order)
        {
            if (agents.Count < 2)
            {
                throw new CliUsageException("--user-agent-rotation applies to several user agents: give --user-agent more than once, or --user-agents-file.");
            }

            options.Downloader.UserAgentRotation = Rotation(order, "--user-agent-rotation");
        }
    }

    private void ApplyProxies(ParseResult parse, CrawlOptions options)
    {
        var proxies = new List<(string Url, string Source)>();
        proxies.AddRange((parse.GetValue(Proxy) ?? []).Select(static p => (p, "--proxy")));
        if (parse.GetValue(ProxiesFile) is { } file)
        {
            proxies.AddRange(ReadList(file, "--proxies-file", "proxies").Select(p => (p, $"--proxies-file {file}")));
        }

        foreach (var (url, source) in proxies)
        {
            options.Downloader.Proxies.Add(ProxyAddress.TryParse(url, out _, out var error)
                ? url.Trim()
                : throw new CliUsageException($"Invalid proxy '{ProxyAddress.Redact(url)}' ({source}): {error}."));
        }

        if (parse.GetValue(ProxyRotation) is { } order)
        {
            if (proxies.Count < 2)
            {
                throw new CliUsageException("--proxy-rotation applies to several proxies: give --proxy more than once, or --proxies-file.");
            }

            options.Downloader.ProxyRotation = Rotation(order, "--proxy-rotation");
        }
    }

    private static RotationOrder Rotation(string value, string name) => value.Trim().ToLowerInvariant() switch
    {
        "round-robin" or "roundrobin" => RotationOrder.RoundRobin,
        "random" => RotationOrder.Random,
        _ => throw new CliUsageException($"Invalid {name} '{value}': use round-robin or random."),
    };

    private static IEnumerable<(string Domain, string Value)> Pairs(string[]? values, string name, string form)
    {
        foreach (var pair in values ?? [])
        {
            var equals = pair.LastIndexOf('=');
            var domain = equals > 0 ? pair[..equals].Trim() : string.Empty;
            if (equals <= 0 || DomainNames.Normalize(domain) is null)
            {
                throw new CliUsageException($"Invalid {name} '{pair}': write it as {form}.");
            }

            yield return (domain, pair[(equals + 1)..].Trim());
        }
    }

    private static DomainSettings SettingsFor(CrawlOptions options, string domain, string name)
    {
        var key = DomainNames.Normalize(domain) ?? throw new CliUsageException($"Invalid {name}: '{domain}' is not a domain name.");
        if (!options.Domains.TryGetValue(key, out var settings))
        {
            settings = new DomainSettings();
            options.Domains[key] = settings;
        }

        return settings;
    }

    // One entry per line; blank lines and # comments are skipped.
    private static List<string> ReadList(string file, string name, string what)
    {
        List<string> lines;
        try
        {
            lines = [.. File.ReadLines(file).Select(static line => line.Trim()).Where(static line => line.Length > 0 && !line.StartsWith('#'))];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"Cannot read {name} '{file}': {ex.Message}");
        }

        return lines.Count > 0 ? lines : throw new CliUsageException($"{name} '{file}' lists no {what}.");
    }

    /// <summary>
    /// Decides where the job lives. Crawls are durable by default: without --limit, a job directory is used
    /// automatically; with --limit (a test crawl) only when --jobdir is given.
    /// </summary>
    public void ApplyJob(ParseResult parse, CrawlOptions options, string spiderName)
    {
        var jobDir = parse.GetValue(JobDir);
        var noJob = parse.GetValue(NoJob);
        if (parse.GetValue(Frontier) is not null)
        {
            if (jobDir is not null || noJob || parse.GetValue(KeepJob) || parse.GetValue(Fresh) || options.RecrawlAfter is not null)
            {
                throw new CliUsageException("--frontier keeps the crawl's state in Redis: --jobdir, --no-job, --keep-job, --fresh and --recrawl-after do not apply.");
            }

            return;
        }

        if (noJob && jobDir is not null)
        {
            throw new CliUsageException("--no-job and --jobdir contradict each other: choose one.");
        }

        if (jobDir is null && !noJob && options.Limit is null && options.ItemLimit is null)
        {
            jobDir = DefaultJobDirectory(spiderName);
        }

        if (jobDir is null)
        {
            if (parse.GetValue(KeepJob) || parse.GetValue(Fresh) || options.RecrawlAfter is not null)
            {
                throw new CliUsageException("--keep-job, --fresh and --recrawl-after apply to a job directory; this crawl has none (add --jobdir DIR).");
            }

            return;
        }

        options.JobDir = jobDir;
        options.KeepJob = parse.GetValue(KeepJob);
        options.FreshJob = parse.GetValue(Fresh);
    }

    /// <summary>Where a spider's job lives by default: <c>$TRAWL_DATA_DIR/NAME</c>, or <c>./.trawl/jobs/NAME</c>.</summary>
    public static string DefaultJobDirectory(string spiderName)
    {
        var root = Environment.GetEnvironmentVariable("TRAWL_DATA_DIR");
        return Path.Combine(string.IsNullOrWhiteSpace(root) ? Path.Combine(".trawl", "jobs") : root, spiderName);
    }

    private static long? Positive(long? value, string name) =>
        value is null or > 0 ? value : throw new CliUsageException($"{name} must be a positive number, not {value}.");

    private static long? Positive(int? value, string name) => Positive((long?)value, name);

    private static TimeSpan Seconds(double value, string name, bool allowZero) =>
        double.IsFinite(value) && (value > 0 || (allowZero && value == 0)) && value < 86_400
            ? TimeSpan.FromSeconds(value)
            : throw new CliUsageException($"{name} must be a number of seconds{(allowZero ? " (0 or more)" : " above 0")}, not {value}.");

    /// <summary>A <c>--max-bytes-in-flight</c> value: a size, or <c>none</c> for no budget.</summary>
    /// <exception cref="CliUsageException">It is neither, or not positive.</exception>
    public static long? ParseBytesInFlight(string text)
    {
        if (string.Equals(text.Trim(), "none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return ByteSizes.TryParse(text, out var bytes) && bytes > 0
            ? bytes
            : throw new CliUsageException($"Invalid --max-bytes-in-flight '{text}': give a size such as 32M, 512K or 1G, or 'none'.");
    }
}
