using System.CommandLine;
using Trawl.Redis;

namespace Trawl.Cli.Commands;

/// <summary>
/// The <c>--frontier</c> and <c>--name</c> options of the cluster commands, and connecting to the crawl they name: with no
/// <c>--name</c>, the only crawl in that Redis database.
/// </summary>
internal sealed class ClusterTarget
{
    // These commands are run by a person or a script waiting for an answer: a Redis that cannot be reached within this
    // is reported (exit 1) rather than waited for, as workers do.
    private const int ConnectTimeoutMs = 1500;
    private static readonly TimeSpan OutageBudget = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);
    private const int MaxNamesListed = 20;

    public ClusterTarget(bool required)
    {
        Frontier = new Option<string?>("--frontier")
        {
            Description = "The Redis database of the shared crawl: redis://[:PASSWORD@]HOST[:PORT][/DB], or rediss:// for TLS.",
            HelpName = "URL",
            Required = required,
        };
    }

    public Option<string?> Frontier { get; }

    public Option<string?> Name { get; } = new("--name") { Description = "The crawl's name (its spider's name); default: the only crawl in that database.", HelpName = "NAME" };

    public void AddTo(Command command)
    {
        command.Add(Frontier);
        command.Add(Name);
    }

    /// <summary>
    /// Connects to the crawl as its admin: the one <c>--name</c> names, or the only one in the database. Only with
    /// <paramref name="mayCreate"/> may a named crawl not exist yet (seeding starts it).
    /// </summary>
    /// <exception cref="CliUsageException">A bad URL or name; no such crawl; no crawl or several crawls and no <c>--name</c>.</exception>
    /// <exception cref="RedisUnavailableException">Redis could not be reached within a few seconds, or refused the password.</exception>
    public async Task<RedisCrawlAdmin> OpenAsync(ParseResult parse, bool mayCreate, CancellationToken cancellationToken)
    {
        var url = parse.GetValue(Frontier) ?? throw new CliUsageException("Give the crawl's Redis database with --frontier redis://HOST:PORT/DB.");
        var where = FrontierUrl.Parse(url, "--frontier").RedactedUrl;
        var name = parse.GetValue(Name);
        if (name is not null && !RedisKeys.IsValidName(name))
        {
            throw new CliUsageException($"Invalid --name '{name}': a crawl's name is 1-100 letters, digits, '.', '_' or '-'.");
        }

        var options = new RedisCrawlOptions
        {
            Url = url,
            MaxOutage = OutageBudget,
            OperationTimeout = AttemptTimeout,
            // The first connection attempt's limit; after it the connection keeps trying within the outage budget.
            ConfigureConnection = connection => connection.ConnectTimeout = ConnectTimeoutMs,
        };
        var crawls = await RedisCrawlAdmin.ListCrawlsAsync(options, cancellationToken).ConfigureAwait(false);
        if (name is null)
        {
            name = crawls.Count switch
            {
                0 => throw new CliUsageException($"There is no crawl in {where}{(mayCreate ? "; name the one to start with --name" : string.Empty)}."),
                1 => crawls[0],
                _ => throw new CliUsageException($"There are {crawls.Count} crawls in {where}: {Names(crawls)}; choose one with --name."),
            };
        }
        else if (!mayCreate && !crawls.Contains(name, StringComparer.Ordinal))
        {
            throw new CliUsageException($"There is no crawl '{name}' in {where}{(crawls.Count > 0 ? $"; there are: {Names(crawls)}" : string.Empty)}.");
        }

        options.SpiderName = name;
        return await RedisCrawlAdmin.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
    }

    private static string Names(IReadOnlyList<string> crawls) =>
        string.Join(", ", crawls.Take(MaxNamesListed)) + (crawls.Count > MaxNamesListed ? $" and {crawls.Count - MaxNamesListed} more" : string.Empty);
}
