using BenchmarkDotNet.Attributes;
using Trawl.Http;

namespace Trawl.Benchmarks;

/// <summary>URL resolution, canonicalization and fingerprinting: done for every link found.</summary>
[MemoryDiagnoser]
public class UrlBenchmarks
{
    private readonly Response _response = Pages.ResponseFor(Pages.Small);
    private readonly Uri _url = new("http://Example.COM:80/a/b/../c/%7euser/page?b=2&a=1&c=%41#frag");

    [Benchmark(Description = "resolve a relative href")]
    public Uri? Resolve() => _response.UrlJoin("../pages/1234?x=1#top");

    [Benchmark(Description = "canonicalize")]
    public string Canonicalize() => UrlCanonicalizer.Canonicalize(_url);

    [Benchmark(Description = "fingerprint (canonicalize + SHA-1)")]
    public RequestFingerprint Fingerprint() => RequestFingerprint.Compute("GET", _url, default);
}
