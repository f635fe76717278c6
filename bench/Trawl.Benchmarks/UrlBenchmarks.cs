using BenchmarkDotNet.Attributes;
using Trawl.Http;

namespace Trawl.Benchmarks;

/// <summary>URL resolution, canonicalization and fingerprinting: done for every link found.</summary>
[MemoryDiagnoser]
public class UrlBenchmarks
{
    private readonly Response _response = Pages.ResponseFor(Pages.Small);
    private readonly Uri _url = new("http://Example.COM:80/a/b/../c/%7euser/page?b=2&a=1&c=%41#frag");

    // The common case: a link that is canonical already. Request reads AbsoluteUri, so Uri has it cached, as in a crawl.
    private readonly Uri _link = new Request(new Uri("http://127.0.0.1:8080/pages/1234?page=2&sort=name")).Url;

    [Benchmark(Description = "resolve a relative href")]
    public Uri? Resolve() => _response.UrlJoin("../pages/1234?x=1#top");

    [Benchmark(Description = "canonicalize")]
    public string Canonicalize() => UrlCanonicalizer.Canonicalize(_url);

    [Benchmark(Description = "fingerprint (canonicalize + SHA-1)")]
    public RequestFingerprint Fingerprint() => RequestFingerprint.Compute("GET", _url, default);

    [Benchmark(Description = "canonicalize a canonical link")]
    public string CanonicalizeLink() => UrlCanonicalizer.Canonicalize(_link);

    [Benchmark(Description = "follow a link and fingerprint it (resolve + Request + fingerprint)")]
    public RequestFingerprint FollowAndFingerprint() => _response.Follow("/pages/1234").Fingerprint;
}
