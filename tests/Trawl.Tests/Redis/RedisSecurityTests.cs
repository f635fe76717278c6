using System.Text;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Redis;

namespace Trawl.Tests.Redis;

/// <summary>Passwords stay out of logs, exceptions and status; <c>rediss://</c> works against a TLS redis-server.</summary>
public sealed class RedisSecurityTests : IDisposable
{
    private const string Password = "Tr4wl-s3cret-Pa55";
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    private CancellationToken Ct => _timeout.Token;

    public void Dispose() => _timeout.Dispose();

    [Fact]
    public async Task Password_NeverAppearsInLogsStatusOrToString_EvenThroughARestart()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = Password, AppendOnly = true });
        var logs = new CapturingLoggerProvider();
        var options = Options(server.Url, logs);
        server.Url.ShouldContain(Password);

        await using var frontier = await RedisFrontier.ConnectAsync(options, Ct);
        await frontier.AddAsync([new Request("http://example.com/a")], Ct);
        var lease = (await frontier.TryLeaseAsync(1, Ct)).Single();
        await server.KillAsync();
        var completing = frontier.CompleteAsync([Completion.Done(lease, 200, [], [Encoding.UTF8.GetBytes("{}")])], Ct).AsTask();
        await Task.Delay(300, Ct);
        await server.StartAgainAsync();
        (await completing.WaitAsync(Ct)).Accepted.ShouldBe([true]);
        await using var admin = await RedisCrawlAdmin.ConnectAsync(options, Ct);
        var status = await admin.GetStatusAsync(Ct);

        logs.Entries.ShouldContain(e => e.Id.Id == 3000);
        logs.Entries.ShouldContain(e => e.Id.Id == 3001 || e.Id.Id == 3003, "the outage was logged (the lost connection, or an operation retried)");
        logs.AllText.ShouldContain(":***@127.0.0.1");
        logs.AllText.ShouldNotContain(Password);
        status.ToString().ShouldNotContain(Password);
        frontier.Endpoint.ShouldNotContain(Password);
        frontier.ToString()!.ShouldNotContain(Password);
        admin.Endpoint.ShouldNotContain(Password);
        RedisUrl.Parse(server.Url).ToString().ShouldNotContain(Password);
    }

    [Fact]
    public async Task AWrongPassword_FailsClearly_WithoutShowingIt()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = Password });
        var logs = new CapturingLoggerProvider();
        var wrong = "Wr0ng-" + Password;
        var options = Options(server.Url.Replace(Uri.EscapeDataString(Password), Uri.EscapeDataString(wrong), StringComparison.Ordinal), logs);
        // Not an outage: it fails at once (well before this bound) and says why.
        options.MaxOutage = TimeSpan.FromSeconds(30);

        var ex = await Should.ThrowAsync<RedisUnavailableException>(() => RedisFrontier.ConnectAsync(options, Ct));

        ex.Message.ShouldContain("check the user and password", customMessage: logs.AllText);
        ex.ToString().ShouldNotContain(wrong);
        ex.ToString().ShouldNotContain(Password);
        logs.AllText.ShouldNotContain(wrong);
    }

    [Fact]
    public async Task Rediss_WorksAgainstATlsRedisServer_TrustingItsCertificateAuthority()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = true });
        var options = Options(server.Url, null);
        options.TlsCaCertificatePath = server.CaCertificatePath;
        server.Url.ShouldStartWith("rediss://localhost:");

        await using var frontier = await RedisFrontier.ConnectAsync(options, Ct);
        await frontier.AddAsync([new Request("http://example.com/tls")], Ct);

        (await frontier.TryLeaseAsync(1, Ct)).Single().Request.Url.AbsolutePath.ShouldBe("/tls");
    }

    [Fact]
    public async Task Rediss_RefusesAServerWhoseCertificateItCannotTrust()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = true });
        var options = Options(server.Url, null);
        options.MaxOutage = TimeSpan.FromSeconds(2);

        await Should.ThrowAsync<RedisUnavailableException>(() => RedisFrontier.ConnectAsync(options, Ct));
    }

    private static RedisFrontierOptions Options(string url, CapturingLoggerProvider? logs) => new()
    {
        Url = url,
        SpiderName = $"sec-{Guid.NewGuid():N}",
        LoggerFactory = logs,
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        RetryMaxDelay = TimeSpan.FromMilliseconds(200),
        OperationTimeout = TimeSpan.FromSeconds(5),
    };
}
