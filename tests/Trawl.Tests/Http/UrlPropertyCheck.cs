using System.Text;

namespace Trawl.Tests.Http;

/// <summary>
/// A small seeded property checker: runs a property over generated cases and, on the first failure, fails with the
/// case number, the seed and the input (with non-printable characters escaped) so it can be replayed.
/// </summary>
internal static class UrlPropertyCheck
{
    public const int Cases = 10_000;

    public static void ForAll<T>(int seed, Func<Random, T> generate, Action<T> property, Func<T, string>? describe = null, int cases = Cases)
    {
        var random = new Random(seed);
        for (var i = 0; i < cases; i++)
        {
            var input = generate(random);
            try
            {
                property(input);
            }
            catch (Exception ex)
            {
                var shown = describe is null ? Escape(input?.ToString() ?? "null") : describe(input);
                Assert.Fail($"Property failed on case {i} (seed {seed}).\nInput: {shown}\n{ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    public static string Escape(string text)
    {
        var builder = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            if (c is >= ' ' and < (char)0x7F and not '"' and not '\\')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append("\\u").Append(((int)c).ToString("X4"));
            }
        }

        return builder.Append('"').ToString();
    }
}

/// <summary>Generates http(s) URLs from parts, and equivalent spellings of them.</summary>
internal sealed record GeneratedUrl(
    string Scheme,
    string? UserInfo,
    string Host,
    int? Port,
    IReadOnlyList<string> Segments,
    IReadOnlyList<(string Name, string? Value)> Query,
    string? Fragment)
{
    private const string Unreserved = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
    private const string PathSafe = "!$'()*+,;=:@";
    private static readonly string[] KeptEscapes = ["%2F", "%3F", "%23", "%25", "%26", "%3D", "%20", "%22", "%3C", "%3E"];

    public static GeneratedUrl Generate(Random random)
    {
        var scheme = random.Next(2) == 0 ? "http" : "https";
        var host = random.Next(10) switch
        {
            0 => $"{random.Next(1, 256)}.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}",
            1 => random.Next(2) == 0 ? "[::1]" : "[2001:db8::" + random.Next(1, 0xFFFF).ToString("x") + "]",
            2 => "bücher" + random.Next(100) + ".example",
            _ => string.Join('.', Enumerable.Range(0, random.Next(1, 4)).Select(_ => Label(random))) + ".example",
        };
        int? port = random.Next(4) switch
        {
            0 => random.Next(1, 65536),
            _ => null,
        };
        var segments = Enumerable.Range(0, random.Next(0, 5)).Select(_ => Segment(random)).ToList();
        if (segments.Count > 0 && random.Next(4) == 0)
        {
            segments.Add(string.Empty);
        }

        var query = Enumerable.Range(0, random.Next(0, 5))
            .Select(_ => (Component(random, allowSlash: true), random.Next(5) == 0 ? (string?)null : Component(random, allowSlash: true)))
            .ToList();
        var userInfo = random.Next(20) == 0 ? Label(random) + ":" + Label(random) : null;
        var fragment = random.Next(3) == 0 ? Component(random, allowSlash: true) : null;
        return new GeneratedUrl(scheme, userInfo, host, port, segments, query, fragment);
    }

    /// <summary>Writes the URL plainly.</summary>
    public override string ToString() => Write(null);

    /// <summary>Writes the URL with random, meaning-preserving changes of spelling.</summary>
    public string WriteEquivalent(Random random) => Write(random);

    public GeneratedUrl WithExtraSegment(string segment) => this with { Segments = [.. Segments, segment] };

    public GeneratedUrl WithExtraParameter(string name, string value) => this with { Query = [.. Query, (name, value)] };

    private string Write(Random? random)
    {
        var builder = new StringBuilder();
        builder.Append(random is null ? Scheme : RandomCase(random, Scheme)).Append("://");
        if (UserInfo is not null)
        {
            builder.Append(UserInfo).Append('@');
        }

        builder.Append(random is null || Host.StartsWith('[') ? Host : RandomCase(random, Host));
        var defaultPort = Scheme == "http" ? 80 : 443;
        if (Port is { } port)
        {
            builder.Append(':').Append(port);
        }
        else if (random is not null && random.Next(3) == 0)
        {
            builder.Append(':').Append(defaultPort);
        }

        foreach (var segment in Segments)
        {
            builder.Append('/').Append(random is null ? segment : Respell(random, segment));
        }

        if (Segments.Count == 0 && random is not null && random.Next(2) == 0)
        {
            builder.Append('/');
        }

        var query = Query.ToList();
        if (random is not null)
        {
            // Shuffle whole parameters, then maybe add empty "&&" segments, which mean nothing.
            for (var i = query.Count - 1; i > 0; i--)
            {
                var j = random.Next(i + 1);
                (query[i], query[j]) = (query[j], query[i]);
            }
        }

        if (query.Count > 0)
        {
            builder.Append('?');
            for (var i = 0; i < query.Count; i++)
            {
                if (i > 0)
                {
                    builder.Append(random is not null && random.Next(4) == 0 ? "&&" : "&");
                }

                builder.Append(random is null ? query[i].Name : Respell(random, query[i].Name));
                if (query[i].Value is { } value)
                {
                    builder.Append('=').Append(random is null ? value : Respell(random, value));
                }
            }
        }

        var fragment = random is null ? Fragment : random.Next(3) switch
        {
            0 => null,
            1 => Fragment,
            _ => "other-" + random.Next(1000),
        };
        if (fragment is not null)
        {
            builder.Append('#').Append(fragment);
        }

        return builder.ToString();
    }

    private static string Label(Random random)
    {
        const string chars = "abcdefghijklmnopqrstuvwxyz0123456789";
        var length = random.Next(1, 8);
        var builder = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            builder.Append(chars[random.Next(chars.Length)]);
        }

        return builder.ToString();
    }

    private static string Segment(Random random)
    {
        var segment = Component(random, allowSlash: false);
        // Dot segments are resolved away by System.Uri; keep generated segments free of them.
        return segment is "." or ".." || segment.StartsWith("..", StringComparison.Ordinal) ? "d" + segment : segment;
    }

    // A canonical-looking component: unreserved characters, some sub-delimiters, non-ASCII text and upper-case escapes
    // of characters that must stay escaped.
    private static string Component(Random random, bool allowSlash)
    {
        var length = random.Next(1, 10);
        var builder = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            switch (random.Next(12))
            {
                case 0:
                    builder.Append(PathSafe[random.Next(PathSafe.Length)]);
                    break;
                case 1:
                    builder.Append(KeptEscapes[random.Next(KeptEscapes.Length)]);
                    break;
                case 2:
                    builder.Append("éü日本ß€"[random.Next(6)]);
                    break;
                case 3 when allowSlash:
                    builder.Append('/');
                    break;
                default:
                    builder.Append(Unreserved[random.Next(Unreserved.Length)]);
                    break;
            }
        }

        var text = builder.ToString();
        // '=' and '&' are structure in a query; keep them escaped so a component stays one component.
        return text.Replace("=", "%3D", StringComparison.Ordinal).Replace("&", "%26", StringComparison.Ordinal);
    }

    // Re-spells a component without changing its meaning: unreserved characters as escapes, escapes in lower case,
    // non-ASCII characters as their UTF-8 escapes.
    private static string Respell(Random random, string component)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < component.Length; i++)
        {
            var c = component[i];
            if (c == '%' && i + 2 < component.Length)
            {
                var escape = component.Substring(i, 3);
                builder.Append(random.Next(2) == 0 ? escape.ToLowerInvariant() : escape);
                i += 2;
            }
            else if (Unreserved.Contains(c) && random.Next(4) == 0)
            {
                var hex = ((int)c).ToString("X2");
                builder.Append('%').Append(random.Next(2) == 0 ? hex.ToLowerInvariant() : hex);
            }
            else if (c > 0x7F && random.Next(2) == 0)
            {
                foreach (var b in Encoding.UTF8.GetBytes(c.ToString()))
                {
                    var hex = b.ToString("X2");
                    builder.Append('%').Append(random.Next(2) == 0 ? hex.ToLowerInvariant() : hex);
                }
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static string RandomCase(Random random, string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (random.Next(2) == 0)
            {
                chars[i] = char.ToUpperInvariant(chars[i]);
            }
        }

        return new string(chars);
    }
}
