using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Trawl.Redis;

/// <summary>
/// A Lua script run by its SHA-1 (<c>EVALSHA</c>). The first run on a server that does not have it yet (a new server,
/// or one restarted without its script cache) falls back to <c>EVAL</c> once, which also caches it there.
/// </summary>
internal sealed class RedisScript
{
    private readonly byte[] _hash;

    private RedisScript(string name, string source)
    {
        Name = name;
        Source = source;
#pragma warning disable CA5350 // SHA-1 is what Redis names scripts by; it is not used for security here.
        _hash = SHA1.HashData(Encoding.UTF8.GetBytes(source));
#pragma warning restore CA5350
    }

    public string Name { get; }

    public string Source { get; }

    public async Task<RedisResult> EvaluateAsync(IDatabaseAsync database, RedisValue[] args)
    {
        try
        {
            return await database.ScriptEvaluateAsync(_hash, [], args).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await database.ScriptEvaluateAsync(Source, [], args).ConfigureAwait(false);
        }
    }

    /// <summary>A script from source, after <c>common.lua</c>: for tests that exercise the shared functions.</summary>
    public static RedisScript FromSource(string name, string source) => new(name, Read("common") + "\n" + source);

    /// <summary>Loads <c>Scripts/{name}.lua</c>, after <c>common.lua</c> when <paramref name="withCommon"/>.</summary>
    public static RedisScript Load(string name, bool withCommon = true)
    {
        var source = Read(name);
        return new RedisScript(name, withCommon ? Read("common") + "\n" + source : source);
    }

    private static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Trawl.Redis.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"The script {name}.lua is not embedded.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}

/// <summary>The crawl's scripts, loaded once per process.</summary>
internal static class RedisScripts
{
    public static readonly RedisScript Lease = RedisScript.Load("lease");
    public static readonly RedisScript Wait = RedisScript.Load("wait");
    public static readonly RedisScript Add = RedisScript.Load("add");
    public static readonly RedisScript Complete = RedisScript.Load("complete");
    public static readonly RedisScript Release = RedisScript.Load("release");
    public static readonly RedisScript Renew = RedisScript.Load("renew");
    public static readonly RedisScript ReclaimWorker = RedisScript.Load("reclaim_worker");
    public static readonly RedisScript Register = RedisScript.Load("register");
    public static readonly RedisScript Leave = RedisScript.Load("leave");
    public static readonly RedisScript Counts = RedisScript.Load("counts");
    public static readonly RedisScript Config = RedisScript.Load("config");
    public static readonly RedisScript SeedClaim = RedisScript.Load("seed_claim");
    public static readonly RedisScript SeedAdd = RedisScript.Load("seed_add");
    public static readonly RedisScript Items = RedisScript.Load("items");
    public static readonly RedisScript Checkpoint = RedisScript.Load("checkpoint");
    public static readonly RedisScript Pause = RedisScript.Load("pause");
    public static readonly RedisScript Status = RedisScript.Load("status");
    public static readonly RedisScript SetAside = RedisScript.Load("set_aside");
    public static readonly RedisScript Limiter = RedisScript.Load("limiter", withCommon: false);
}
