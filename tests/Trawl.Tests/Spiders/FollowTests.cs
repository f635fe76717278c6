using System.Runtime.CompilerServices;
using System.Text.Json;
using Trawl.Http;
using Trawl.Spiders;
using Trawl.Tests.Http;

namespace Trawl.Tests.Spiders;

/// <summary><c>Follow(href, callback, ...)</c>: its optional settings, callback arguments, and the callbacks it refuses.</summary>
public sealed class FollowTests
{
    private static readonly Response Page = TestResponses.Html("<a href='/next'>next</a>", "https://quotes.example/page/1/", depth: 2);

    [Fact]
    public void Follow_WithPriorityMetaAndDontFilter_SetsThemOnTheRequest()
    {
        var spider = new CallbackSpider();

        var request = Page.Follow("/next", spider.ParseDetail, priority: 7, meta: new Dictionary<string, object?> { ["page"] = 2 }, dontFilter: true);

        request.Url.ShouldBe(new Uri("https://quotes.example/next"));
        request.Priority.ShouldBe(7);
        request.GetMeta<int>("page").ShouldBe(2);
        request.DontFilter.ShouldBeTrue();
        request.Callback.ShouldBe(nameof(CallbackSpider.ParseDetail));
        request.Depth.ShouldBe(3);
    }

    [Fact]
    public void Follow_WithoutSettings_HasTheDefaults()
    {
        var request = Page.Follow("/next", new CallbackSpider().ParseDetail);

        request.Priority.ShouldBe(0);
        request.HasMeta.ShouldBeFalse();
        request.DontFilter.ShouldBeFalse();
        request.CallbackArgs.ShouldBeNull();
    }

    [Fact]
    public void Follow_WithArgs_StoresThemAsJson_AndTheyRoundTripThroughRequestJson()
    {
        var spider = new CallbackSpider();

        var request = Page.Follow("/author/ada", spider.ParseAuthor, new AuthorArgs("Ada", 3), priority: 2);
        var restored = RequestJson.Deserialize(RequestJson.Serialize(request));

        request.Callback.ShouldBe(nameof(CallbackSpider.ParseAuthor));
        request.Priority.ShouldBe(2);
        restored.Callback.ShouldBe(nameof(CallbackSpider.ParseAuthor));
        restored.CallbackArgs.ShouldNotBeNull();
        restored.CallbackArgs!.Value.Deserialize<AuthorArgs>().ShouldBe(new AuthorArgs("Ada", 3));
    }

    [Fact]
    public async Task ResolvedCallback_WithArgs_ReceivesThemTyped()
    {
        var spider = new CallbackSpider();
        var request = RequestJson.Deserialize(RequestJson.Serialize(Page.Follow("/author/ada", spider.ParseAuthor, new AuthorArgs("Ada", 3))));
        var response = new Response(request, request.Url, 200, new Dictionary<string, IReadOnlyList<string>>(), ReadOnlyMemory<byte>.Empty);

        var items = await SpiderCallbacks.Resolve(spider, request.Callback).Invoke(response, CancellationToken.None).ToListAsync();

        items.ShouldHaveSingleItem().ShouldBe("Ada from quote 3");
    }

    [Fact]
    public async Task ResolvedCallback_WithArgs_OnARequestWithoutThem_FailsNamingTheCallback()
    {
        var spider = new CallbackSpider();
        var request = new Request("https://quotes.example/author/ada") { Callback = nameof(CallbackSpider.ParseAuthor) };
        var response = new Response(request, request.Url, 200, new Dictionary<string, IReadOnlyList<string>>(), ReadOnlyMemory<byte>.Empty);

        var ex = await Should.ThrowAsync<InvalidOperationException>(async () =>
            await SpiderCallbacks.Resolve(spider, request.Callback).Invoke(response, CancellationToken.None).ToListAsync());

        ex.Message.ShouldContain("ParseAuthor");
        ex.Message.ShouldContain("AuthorArgs");
    }

    [Fact]
    public void Follow_ALambdaCapturingALocal_IsRefused_SayingToUseANamedMethod()
    {
        var prefix = "quote: ";
        SpiderCallback lambda = (response, ct) => Yield(prefix + response.Url);

        var ex = Should.Throw<ArgumentException>(() => Page.Follow("/next", lambda));

        ex.Message.ShouldContain("named method");
        ex.Message.ShouldContain("lambda");
    }

    [Fact]
    public void Follow_ALambdaCapturingNothing_IsRefused_SayingToUseANamedMethod()
    {
        SpiderCallback lambda = static (response, ct) => Yield(response.Url);

        var ex = Should.Throw<ArgumentException>(() => Page.Follow("/next", lambda));

        ex.Message.ShouldContain("named method");
    }

    [Fact]
    public void Follow_ALambdaCapturingTheSpider_IsRefused_RatherThanStoredUnderACompilerName()
    {
        var spider = new CallbackSpider();

        var ex = Should.Throw<ArgumentException>(() => Page.Follow("/next", spider.LambdaOverThis()));

        ex.Message.ShouldContain("named method");
    }

    [Fact]
    public void Follow_ALocalFunction_IsRefused()
    {
        IAsyncEnumerable<object> Local(Response response, CancellationToken ct) => Yield(response.Url);

        Should.Throw<ArgumentException>(() => Page.Follow("/next", Local)).Message.ShouldContain("local function");
    }

    [Fact]
    public void Follow_ATypedLambda_IsRefused()
    {
        SpiderCallback<AuthorArgs> lambda = (response, args, ct) => Yield(args.Name);

        Should.Throw<ArgumentException>(() => Page.Follow("/next", lambda, new AuthorArgs("Ada", 1))).Message.ShouldContain("named method");
    }

    [Fact]
    public void Follow_ToACallbackNameTheSpiderHasTwice_IsRefused()
    {
        var spider = new OverloadedSpider();

        Should.Throw<ArgumentException>(() => Page.Follow("/next", spider.ParseItem)).Message.ShouldContain("more than one callback named 'ParseItem'");
    }

    [Fact]
    public void Follow_WithArgsThatDoNotSerialize_IsRefused_NamingTheCallback()
    {
        var spider = new CallbackSpider();

        var ex = Should.Throw<ArgumentException>(() => Page.Follow("/next", spider.ParseStream, new MemoryStream()));

        ex.Message.ShouldContain("ParseStream");
    }

    [Theory]
    [InlineData("/relative")]
    [InlineData("page/2")]
    [InlineData("docs.example.com/guide/")]
    public void NewRequest_WithARelativeUrl_SaysItIsRelative_AndHowToResolveIt(string url)
    {
        var ex = Should.Throw<ArgumentException>(() => new Request(url));

        ex.Message.ShouldContain("relative");
        ex.Message.ShouldContain("Follow");
        ex.Message.ShouldContain("UrlJoin");
        ex.Message.ShouldNotContain("file:");
    }

    [Fact]
    public void NewRequest_WithAnotherScheme_SaysItIsNotHttp()
    {
        Should.Throw<ArgumentException>(() => new Request("ftp://files.example/x")).Message.ShouldContain("not an absolute http or https URL");
    }

    private static async IAsyncEnumerable<object> Yield(object value)
    {
        await Task.Yield();
        yield return value;
    }

    public sealed record AuthorArgs(string Name, int Quote);

    private sealed class CallbackSpider : Spider
    {
        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield break;
        }

        public async IAsyncEnumerable<object> ParseDetail(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return response.Url;
        }

        public async IAsyncEnumerable<object> ParseAuthor(Response response, AuthorArgs args, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return $"{args.Name} from quote {args.Quote}";
        }

        public async IAsyncEnumerable<object> ParseStream(Response response, Stream args, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return args.Length;
        }

        public SpiderCallback LambdaOverThis() => (response, ct) => ParseDetail(response, ct);
    }

    private sealed class OverloadedSpider : Spider
    {
        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield break;
        }

        public async IAsyncEnumerable<object> ParseItem(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield break;
        }

        public async IAsyncEnumerable<object> ParseItem(Response response, AuthorArgs args, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return args;
        }
    }
}
