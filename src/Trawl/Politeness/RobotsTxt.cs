using System.Globalization;
using System.Text;

namespace Trawl.Politeness;

/// <summary>
/// The rules of one robots.txt file for one crawler, parsed per RFC 9309: the groups whose <c>User-agent</c> matches
/// the crawler's product token (or, when none does, the <c>*</c> groups), merged; <c>Allow</c> and <c>Disallow</c>
/// rules with <c>*</c> and <c>$</c>; the longest matching rule wins, and <c>Allow</c> wins a tie.
/// </summary>
/// <remarks>
/// <para>Also read, though not part of RFC 9309: <c>Crawl-delay</c> (seconds, from the same groups; the first valid
/// value counts). Unknown lines, and lines that are not <c>key: value</c>, are ignored, as the RFC asks.</para>
/// <para>Paths and patterns are compared after the same normalization: characters outside printable ASCII are
/// percent-encoded as UTF-8, escapes are upper-cased, and escapes of unreserved characters are decoded. The URL's
/// path and query are matched; <c>/robots.txt</c> itself is always allowed.</para>
/// </remarks>
internal sealed class RobotsTxt
{
    /// <summary>The most of a robots.txt file that is read; RFC 9309 asks crawlers to read at least 500 KiB.</summary>
    public const int MaxBytes = 512 * 1024;

    private readonly Rule[] _rules;

    private RobotsTxt(Rule[] rules, TimeSpan? crawlDelay)
    {
        _rules = rules;
        CrawlDelay = crawlDelay;
    }

    /// <summary>Rules that allow everything: no robots.txt, or one that does not speak to this crawler.</summary>
    public static RobotsTxt AllowAll { get; } = new([], null);

    /// <summary>Rules that disallow everything but <c>/robots.txt</c>.</summary>
    public static RobotsTxt DisallowAll { get; } = new([new Rule("/", allow: false)], null);

    /// <summary>The <c>Crawl-delay</c> of the matching groups, when one was given.</summary>
    public TimeSpan? CrawlDelay { get; }

    /// <summary>How many <c>Allow</c> and <c>Disallow</c> rules apply to this crawler.</summary>
    public int RuleCount => _rules.Length;

    /// <summary>
    /// Parses a robots.txt body for the crawler whose product token is <paramref name="userAgentToken"/> (for
    /// example <c>Trawl</c>; compared case-insensitively). Never throws on any input.
    /// </summary>
    public static RobotsTxt Parse(ReadOnlySpan<byte> body, string userAgentToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userAgentToken);
        if (body.Length > MaxBytes)
        {
            body = body[..MaxBytes];
        }

        // Lenient decoding: invalid UTF-8 becomes U+FFFD, which then never matches a normal path.
        var text = Encoding.UTF8.GetString(body);
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        return Parse(text, userAgentToken);
    }

    /// <summary>Parses robots.txt text; see <see cref="Parse(ReadOnlySpan{byte}, string)"/>.</summary>
    public static RobotsTxt Parse(string text, string userAgentToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrWhiteSpace(userAgentToken);
        var token = userAgentToken.Trim();

        var specific = new Collector();
        var wildcard = new Collector();

        // The group being read: which collectors its rules go to, and whether a rule has been seen (after which a
        // user-agent line starts a new group).
        var forSpecific = false;
        var forWildcard = false;
        var inAgents = false;

        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            var line = rawLine;
            var hash = line.IndexOf('#');
            if (hash >= 0)
            {
                line = line[..hash];
            }

            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (IsKey(key, "user-agent"))
            {
                if (!inAgents)
                {
                    forSpecific = false;
                    forWildcard = false;
                    inAgents = true;
                }

                var agent = ProductToken(value);
                if (agent.SequenceEqual("*"))
                {
                    forWildcard = true;
                    wildcard.Seen = true;
                }
                else if (agent.Length > 0 && agent.Equals(token, StringComparison.OrdinalIgnoreCase))
                {
                    forSpecific = true;
                    specific.Seen = true;
                }

                continue;
            }

            var isAllow = IsKey(key, "allow");
            var isDisallow = IsKey(key, "disallow");
            var isDelay = IsKey(key, "crawl-delay");
            if (!isAllow && !isDisallow && !isDelay)
            {
                // Sitemap and unknown keys neither belong to a group nor end one.
                continue;
            }

            inAgents = false;
            if (!forSpecific && !forWildcard)
            {
                continue;
            }

            if (isDelay)
            {
                var delay = ParseDelay(value);
                if (forSpecific)
                {
                    specific.CrawlDelay ??= delay;
                }

                if (forWildcard)
                {
                    wildcard.CrawlDelay ??= delay;
                }

                continue;
            }

            // An empty Disallow allows everything: no rule. An empty Allow says nothing either.
            if (value.IsEmpty)
            {
                continue;
            }

            var rule = new Rule(Normalize(value), isAllow);
            if (forSpecific)
            {
                specific.Rules.Add(rule);
            }

            if (forWildcard)
            {
                wildcard.Rules.Add(rule);
            }
        }

        var chosen = specific.Seen ? specific : wildcard;
        return chosen.Seen ? new RobotsTxt([.. chosen.Rules], chosen.CrawlDelay) : AllowAll;
    }

    /// <summary>Whether the URL may be fetched.</summary>
    public bool IsAllowed(Uri url) => Match(url) is not { Allow: false };

    /// <summary>The rule that decides the URL, or <see langword="null"/> when none matches (allowed).</summary>
    public Rule? Match(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (_rules.Length == 0)
        {
            return null;
        }

        var path = url.IsAbsoluteUri ? url.GetComponents(UriComponents.PathAndQuery, UriFormat.UriEscaped) : url.OriginalString;
        if (path.Length == 0)
        {
            path = "/";
        }

        if (string.Equals(path, "/robots.txt", StringComparison.Ordinal))
        {
            return null;
        }

        return Match(Normalize(path));
    }

    private Rule? Match(string path)
    {
        Rule? best = null;
        foreach (var rule in _rules)
        {
            if (!Matches(rule.Pattern, path))
            {
                continue;
            }

            if (best is null || rule.Pattern.Length > best.Pattern.Length || (rule.Pattern.Length == best.Pattern.Length && rule.Allow && !best.Allow))
            {
                best = rule;
            }
        }

        return best;
    }

    /// <summary>
    /// Whether <paramref name="pattern"/> matches a prefix of <paramref name="path"/> (the whole of it, when the pattern
    /// ends in <c>$</c>). <c>*</c> matches any run of characters. Greedy matching of the pieces between stars from the
    /// left is exact for this pattern language and linear in the path per piece, so a hostile pattern costs no more
    /// than its length times the path's.
    /// </summary>
    internal static bool Matches(string pattern, string path)
    {
        var anchored = pattern.EndsWith('$');
        var body = anchored ? pattern.AsSpan(0, pattern.Length - 1) : pattern.AsSpan();
        var star = body.IndexOf('*');
        if (star < 0)
        {
            return anchored ? path.AsSpan().SequenceEqual(body) : path.AsSpan().StartsWith(body, StringComparison.Ordinal);
        }

        // The piece before the first star is anchored at the start.
        var first = body[..star];
        if (!path.AsSpan().StartsWith(first, StringComparison.Ordinal))
        {
            return false;
        }

        var position = first.Length;
        var rest = body[(star + 1)..];
        while (true)
        {
            var next = rest.IndexOf('*');
            if (next < 0)
            {
                // The last piece: free-floating, unless anchored at the end.
                if (!anchored)
                {
                    return rest.IsEmpty || path.AsSpan(position).IndexOf(rest, StringComparison.Ordinal) >= 0;
                }

                return path.Length - position >= rest.Length && path.AsSpan(path.Length - rest.Length).SequenceEqual(rest);
            }

            var piece = rest[..next];
            if (!piece.IsEmpty)
            {
                var found = path.AsSpan(position).IndexOf(piece, StringComparison.Ordinal);
                if (found < 0)
                {
                    return false;
                }

                position += found + piece.Length;
            }

            rest = rest[(next + 1)..];
        }
    }

    /// <summary>
    /// Brings a path or pattern to the form in which they are compared: non-ASCII and control characters
    /// percent-encoded as UTF-8, escapes upper-case, escapes of unreserved characters decoded.
    /// </summary>
    internal static string Normalize(ReadOnlySpan<char> value)
    {
        var builder = new StringBuilder(value.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '%' && i + 2 < value.Length && char.IsAsciiHexDigit(value[i + 1]) && char.IsAsciiHexDigit(value[i + 2]))
            {
                var decoded = (char)int.Parse(value.Slice(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (IsUnreserved(decoded))
                {
                    builder.Append(decoded);
                }
                else
                {
                    builder.Append('%').Append(char.ToUpperInvariant(value[i + 1])).Append(char.ToUpperInvariant(value[i + 2]));
                }

                i += 2;
                continue;
            }

            if (c > ' ' && c < 0x7F)
            {
                builder.Append(c);
                continue;
            }

            // Encode the character (a surrogate pair as one scalar) as UTF-8 escapes.
            var length = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])
                ? Encoding.UTF8.GetBytes(value.Slice(i++, 2), utf8)
                : Encoding.UTF8.GetBytes(value.Slice(i, 1), utf8);
            foreach (var b in utf8[..length])
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private static bool IsUnreserved(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';

    private static bool IsKey(ReadOnlySpan<char> key, string name) =>
        key.Equals(name, StringComparison.OrdinalIgnoreCase)

        // Common misspellings that major crawlers accept.
        || (name == "user-agent" && (key.Equals("useragent", StringComparison.OrdinalIgnoreCase) || key.Equals("user agent", StringComparison.OrdinalIgnoreCase)))
        || (name == "disallow" && key.Equals("dissallow", StringComparison.OrdinalIgnoreCase));

    // The product token of a User-agent value: "Trawl/1.0 (+url)" names "Trawl".
    private static ReadOnlySpan<char> ProductToken(ReadOnlySpan<char> value)
    {
        var end = 0;
        while (end < value.Length && (char.IsAsciiLetter(value[end]) || value[end] is '-' or '_' or '*'))
        {
            end++;
        }

        return value[..end];
    }

    private static TimeSpan? ParseDelay(ReadOnlySpan<char> value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds) && seconds >= 0 && seconds < 86_400
            ? TimeSpan.FromSeconds(seconds)
            : null;

    /// <summary>One <c>Allow</c> or <c>Disallow</c> line, its pattern normalized.</summary>
    internal sealed class Rule(string pattern, bool allow)
    {
        public string Pattern { get; } = pattern;

        public bool Allow { get; } = allow;

        public override string ToString() => (Allow ? "Allow: " : "Disallow: ") + Pattern;
    }

    private sealed class Collector
    {
        public List<Rule> Rules { get; } = [];

        public TimeSpan? CrawlDelay { get; set; }

        // A group naming this crawler wins over the * groups even when it has no rules: "User-agent: Trawl" and an
        // empty "Disallow:" allow Trawl everything, whatever * is told.
        public bool Seen { get; set; }
    }
}
