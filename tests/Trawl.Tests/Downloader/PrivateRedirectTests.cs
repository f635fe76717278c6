using System.Net;
using Trawl.Cli;
using Trawl.Downloader;
using Trawl.Http;
using Trawl.Tests.Politeness;
using Trawl.Tests.Support;

namespace Trawl.Tests.Downloader;

/// <summary>
/// A redirect may not lead to a more private address than the page it came from, as browsers refuse it: a public site
/// cannot point the crawler at services on its own machine or network. A proxy that connects every request to loopback
/// lets a loopback server stand in for a public address (203.0.113.7, 198.51.100.9: documentation ranges, never
/// reached).
/// </summary>
public sealed class PrivateRedirectTests
{
    private const string PublicHost = "203.0.113.7";
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task RedirectFromAPublicAddress_ToLoopback_IsRefused_AndTheServiceIsNeverAsked()
    {
        await using var service = new ScriptedServer(_ => new ScriptedResponse(200, "", "secret"));
        await using var redirector = ScriptedServer.RedirectingTo(() => new Uri(service.Url, "/admin").AbsoluteUri);
        await using var proxy = new TestHttpProxy(connectTo: "127.0.0.1");
        using var downloader = new HttpDownloader(Through(proxy));

        var result = await downloader.DownloadAsync(new Request(new Uri($"http://{PublicHost}:{redirector.Port}/go")), None);

        result.Error.ShouldBe(DownloadError.RedirectBlocked, result.Message);
        result.ErrorKind.ShouldBe("redirect_blocked");
        var message = result.Message.ShouldNotBeNull();
        message.ShouldContain($"http://{PublicHost}:{redirector.Port}/go");
        message.ShouldContain(new Uri(service.Url, "/admin").AbsoluteUri);
        message.ShouldContain("--allow-private-redirects");
        service.Paths.ShouldBeEmpty();
        proxy.Forwarded.ShouldBe([$"http://{PublicHost}:{redirector.Port}/go"]);
    }

    [Theory]
    [InlineData("10.1.2.3", "127.0.0.1")] // a private network to this machine
    [InlineData(PublicHost, "192.168.1.20")] // public to a private network
    [InlineData(PublicHost, "localhost")]
    public async Task RedirectToAMorePrivateAddress_IsRefused(string from, string to)
    {
        await using var redirector = ScriptedServer.RedirectingTo(() => $"http://{to}:9/internal");
        await using var proxy = new TestHttpProxy(connectTo: "127.0.0.1");
        using var downloader = new HttpDownloader(Through(proxy));

        var result = await downloader.DownloadAsync(new Request(new Uri($"http://{from}:{redirector.Port}/go")), None);

        result.Error.ShouldBe(DownloadError.RedirectBlocked, result.Message);
        proxy.Forwarded.Count.ShouldBe(1);
    }

    [Fact]
    public async Task AllowPrivateRedirects_FollowsThem()
    {
        await using var service = new ScriptedServer(_ => new ScriptedResponse(200, "", "secret"));
        await using var redirector = ScriptedServer.RedirectingTo(() => new Uri(service.Url, "/admin").AbsoluteUri);
        await using var proxy = new TestHttpProxy(connectTo: "127.0.0.1");
        var options = Through(proxy);
        options.AllowPrivateRedirects = true;
        using var downloader = new HttpDownloader(options);

        var result = await downloader.DownloadAsync(new Request(new Uri($"http://{PublicHost}:{redirector.Port}/go")), None);

        result.Error.ShouldBe(DownloadError.None, result.Message);
        result.Response!.Url.ShouldBe(new Uri(service.Url, "/admin"));
        service.Paths.ShouldBe(["/admin"]);
    }

    [Fact]
    public async Task RedirectsBetweenPublicAddresses_AndFromLoopbackAnywhere_AreFollowed()
    {
        await using var target = new ScriptedServer(_ => new ScriptedResponse(200, "", "page"));
        await using var toPublic = ScriptedServer.RedirectingTo(() => $"http://198.51.100.9:{target.Port}/page");
        await using var proxy = new TestHttpProxy(connectTo: "127.0.0.1");
        using (var throughProxy = new HttpDownloader(Through(proxy)))
        {
            var result = await throughProxy.DownloadAsync(new Request(new Uri($"http://{PublicHost}:{toPublic.Port}/go")), None);
            result.Error.ShouldBe(DownloadError.None, result.Message);
        }

        // A crawl that starts on loopback (the sandbox, a local service) follows redirects to other local ports.
        await using var toOtherPort = ScriptedServer.RedirectingTo(() => new Uri(target.Url, "/local").AbsoluteUri);
        using var direct = new HttpDownloader(new DownloaderOptions());
        var local = await direct.DownloadAsync(new Request(new Uri(toOtherPort.Url, "/go")), None);
        local.Error.ShouldBe(DownloadError.None, local.Message);
        target.Paths.ShouldBe(["/page", "/local"]);
    }

    [Fact]
    public async Task Cli_RefusesByDefault_AndFollowsWithTheFlag()
    {
        await using var service = new ScriptedServer(_ => new ScriptedResponse(200, "", "<html><body>secret</body></html>"));
        await using var redirector = ScriptedServer.RedirectingTo(() => new Uri(service.Url, "/admin").AbsoluteUri);
        await using var proxy = new TestHttpProxy(connectTo: "127.0.0.1");
        using var temp = new TempDirectory();
        string[] args = ["crawl", "--start", $"http://{PublicHost}:{redirector.Port}/go", "--allow", "^$", "--proxy", proxy.Url.AbsoluteUri,
            "--no-job", "--ignore-robots", "--retries", "0", "--no-progress", "--log-level", "warning", "--log-file", temp.File("log.txt")];

        var refused = await CliRunner.RunAsync(args);

        // Its only start request failed (redirect_blocked) and nothing was crawled: the command says so with its exit code.
        refused.ExitCode.ShouldBe(ExitCodes.StartFailed, refused.Output + refused.Error);
        refused.Output.ShouldContain("1 failed (redirect_blocked 1)");
        (await File.ReadAllTextAsync(temp.File("log.txt"))).ShouldContain("--allow-private-redirects");
        service.Paths.ShouldBeEmpty();

        var allowed = await CliRunner.RunAsync([.. args, "--allow-private-redirects"]);

        allowed.ExitCode.ShouldBe(ExitCodes.Finished, allowed.Output + allowed.Error);
        allowed.Output.ShouldContain("1 pages, 1 items, 0 failed");
        service.Paths.ShouldBe(["/admin"]);
    }

    [Theory]
    [InlineData("127.0.0.1", nameof(AddressSpace.Local))]
    [InlineData("127.255.0.9", nameof(AddressSpace.Local))]
    [InlineData("0.0.0.0", nameof(AddressSpace.Local))]
    [InlineData("::1", nameof(AddressSpace.Local))]
    [InlineData("::", nameof(AddressSpace.Local))]
    [InlineData("::ffff:127.0.0.1", nameof(AddressSpace.Local))]
    [InlineData("10.0.0.1", nameof(AddressSpace.Private))]
    [InlineData("172.16.0.1", nameof(AddressSpace.Private))]
    [InlineData("172.31.255.255", nameof(AddressSpace.Private))]
    [InlineData("192.168.0.1", nameof(AddressSpace.Private))]
    [InlineData("169.254.169.254", nameof(AddressSpace.Private))] // cloud metadata services live here
    [InlineData("100.64.0.1", nameof(AddressSpace.Private))]
    [InlineData("fd00::1", nameof(AddressSpace.Private))]
    [InlineData("fe80::1", nameof(AddressSpace.Private))]
    [InlineData("::ffff:10.0.0.1", nameof(AddressSpace.Private))]
    [InlineData("172.32.0.1", nameof(AddressSpace.Public))]
    [InlineData("100.128.0.1", nameof(AddressSpace.Public))]
    [InlineData("8.8.8.8", nameof(AddressSpace.Public))]
    [InlineData("2001:4860:4860::8888", nameof(AddressSpace.Public))]
    public void AddressSpaces_OfAddresses(string address, string expected)
    {
        AddressSpaces.Of(IPAddress.Parse(address)).ToString().ShouldBe(expected);
    }

    [Fact]
    public async Task AddressSpaces_OfNames_AreResolved_TheTargetByItsMostPrivateAddress_TheSourceByItsLeast()
    {
        AddressSpaces.Resolver resolve = (host, _) => Task.FromResult(host switch
        {
            "mixed.test" => new[] { IPAddress.Parse("93.184.216.34"), IPAddress.Parse("10.0.0.7") },
            "inside.test" => [IPAddress.Parse("192.168.3.4")],
            _ => throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound),
        });

        (await AddressSpaces.OfHostAsync(new Uri("http://mixed.test/"), resolve, mostPrivate: true, None)).ShouldBe(AddressSpace.Private);
        (await AddressSpaces.OfHostAsync(new Uri("http://mixed.test/"), resolve, mostPrivate: false, None)).ShouldBe(AddressSpace.Public);
        (await AddressSpaces.OfHostAsync(new Uri("http://inside.test/"), resolve, mostPrivate: false, None)).ShouldBe(AddressSpace.Private);
        (await AddressSpaces.OfHostAsync(new Uri("http://nowhere.test/"), resolve, mostPrivate: true, None)).ShouldBeNull();
        (await AddressSpaces.OfHostAsync(new Uri("http://inside.test/"), resolve: null, mostPrivate: true, None)).ShouldBeNull("through a proxy names are not resolved");
        (await AddressSpaces.OfHostAsync(new Uri("http://app.localhost:8080/"), resolve: null, mostPrivate: true, None)).ShouldBe(AddressSpace.Local);
        (await AddressSpaces.OfHostAsync(new Uri("http://[::1]:8080/"), resolve: null, mostPrivate: true, None)).ShouldBe(AddressSpace.Local);
    }

    private static DownloaderOptions Through(TestHttpProxy proxy) => new() { Proxies = { proxy.Url.AbsoluteUri } };
}
