using System.Text.Json;
using System.Text.Json.Serialization;
using Trawl.Http;

namespace Trawl.Spiders.Declarative;

/// <summary>
/// A spider described as data: where to start, which links to follow, and which fields to extract. The JSON file
/// form is documented in the README ("Declarative spiders"); <c>trawl crawl</c> builds the same thing from flags.
/// </summary>
public sealed class DeclarativeSpiderDefinition
{
    /// <summary>The spider's name; it names the job directory and Redis keys.</summary>
    /// <value>The default is <see langword="null"/>: a stable name is derived from the first start host and the allow rules.</value>
    public string? Name { get; set; }

    /// <summary>Start URLs.</summary>
    public List<string> Start { get; set; } = [];

    /// <summary>A file of start URLs, one per line; blank lines and lines starting with <c>#</c> are ignored.</summary>
    public string? StartFile { get; set; }

    /// <summary>
    /// Sitemaps to start from (<c>--sitemap</c>): sitemaps, sitemap indexes or robots.txt files whose <c>Sitemap:</c>
    /// lines are read, gzipped or not. The pages they list go through the allow and deny rules like links.
    /// </summary>
    [JsonConverter(typeof(StringOrArrayConverter))]
    public List<string> Sitemap { get; set; } = [];

    /// <summary>Whether only the start URLs and the pages sitemaps list are fetched, and no link is followed (<c>--no-follow</c>).</summary>
    /// <value>The default is <see langword="false"/>: links matching the rules are followed.</value>
    public bool NoFollow { get; set; }

    /// <summary>
    /// Whether the spider may have no start URLs, because its requests come from elsewhere: seeds of a crawl shared on
    /// Redis (<c>trawl seed</c> or the <c>start_urls</c> list). Without start URLs or allow rules, a link is followed
    /// when it is on the host of the page it was found on.
    /// </summary>
    /// <value>The default is <see langword="false"/>: a spider without start URLs is refused. Not read from spider files.</value>
    [JsonIgnore]
    public bool StartOptional { get; set; }

    /// <summary>Regular expressions; a link is followed when its absolute URL matches any of them.</summary>
    /// <value>The default is empty: links on the start URLs' hosts are followed (with no start URLs, on the host of the page they are on).</value>
    [JsonConverter(typeof(StringOrArrayConverter))]
    public List<string> Allow { get; set; } = [];

    /// <summary>Regular expressions; a link matching any of them is not followed, even when allowed.</summary>
    [JsonConverter(typeof(StringOrArrayConverter))]
    public List<string> Deny { get; set; } = [];

    /// <summary>The selector of the links to follow: CSS, or XPath when it starts with <c>/</c>, <c>./</c> or <c>(</c>.</summary>
    /// <value>The default is <c>a[href]</c>.</value>
    public string Follow { get; set; } = "a[href]";

    /// <summary>
    /// Fields of each item: name to selector, CSS with <c>::text</c> or <c>::attr(name)</c>, or XPath 1.0 when it starts
    /// with <c>/</c>, <c>./</c> or <c>(</c> (<c>//h1/text()</c>, <c>//time/@datetime</c>). A selector that ends on an
    /// element (<c>h1</c>, <c>//h1</c>) gives the first match's outer HTML, as Scrapy's <c>.get()</c> does.
    /// </summary>
    public Dictionary<string, string> Fields { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// HTTP statuses whose pages are parsed like any other instead of failing (<c>"allowStatus": [404, 410]</c>):
    /// see <see cref="Spider.AllowedStatuses"/>.
    /// </summary>
    /// <value>The default is none.</value>
    [JsonPropertyName("allowStatus")]
    public List<int> AllowStatus { get; set; } = [];

    /// <summary>
    /// When pages are rendered in a browser: <c>never</c>, <c>auto</c> or <c>always</c> (<c>Trawl.Rendering.RenderMode</c>).
    /// In auto mode, a page whose fields all come out empty over plain HTTP, though it has a script, is rendered too.
    /// </summary>
    /// <value>The default is <see langword="null"/>: the crawl's setting (never, unless <c>--render</c> says otherwise).</value>
    public string? Render { get; set; }

    /// <summary>A CSS selector a rendered page is ready once it matches, instead of waiting for the network to go idle.</summary>
    /// <value>The default is <see langword="null"/>: the crawl's setting.</value>
    public string? RenderWaitFor { get; set; }

    /// <summary>
    /// The page actions every rendered page goes through before its fields are read, as a JSON array in
    /// <c>Trawl.Rendering.PageAction</c>'s form, such as <c>[{"scroll": 3}, {"click": "#more"}, {"wait_for": ".item"}]</c>.
    /// </summary>
    /// <value>The default is <see langword="null"/>: the crawl's setting (none).</value>
    public JsonElement? Actions { get; set; }

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads a definition from a JSON file.</summary>
    /// <exception cref="SpiderDefinitionException">The file cannot be read, is not valid JSON, or has unknown or mistyped members.</exception>
    public static DeclarativeSpiderDefinition Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SpiderDefinitionException($"Cannot read spider file '{path}': {ex.Message}");
        }

        try
        {
            var definition = JsonSerializer.Deserialize<DeclarativeSpiderDefinition>(text, JsonOptions)
                ?? throw new SpiderDefinitionException($"Spider file '{path}' holds null, not a spider definition.");
            var nullMember = definition.Start is null ? "start" : definition.Sitemap is null ? "sitemap" : definition.Allow is null ? "allow" : definition.Deny is null ? "deny"
                : definition.Follow is null ? "follow" : definition.Fields is null ? "fields" : null;
            if (nullMember is not null)
            {
                throw new SpiderDefinitionException($"Spider file '{path}' is not a valid spider definition: {Expected(nullMember, null)} It is null.");
            }

            if (definition.StartFile is { } startFile && !Path.IsPathRooted(startFile))
            {
                definition.StartFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", startFile);
            }

            return definition;
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, position {ex.BytePositionInLine + 1})" : string.Empty;
            throw new SpiderDefinitionException($"Spider file '{path}' is not a valid spider definition{where}: {Explain(ex)}");
        }
    }

    // System.Text.Json's messages name .NET types and members; say instead what the file should hold, by JSON path.
    private static string Explain(JsonException ex)
    {
        var parts = (ex.Path ?? "$").TrimStart('$').Split('.', StringSplitOptions.RemoveEmptyEntries);
        var member = parts.Length == 0 ? null : parts[0].Split('[')[0];
        if (ex.Message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return $"unknown member \"{parts.LastOrDefault()?.Split('[')[0]}\". The members are \"name\", \"start\", \"startFile\", \"sitemap\", \"allow\", \"deny\", \"follow\", \"noFollow\", \"fields\", \"allowStatus\", \"render\" and \"renderWaitFor\".";
        }

        if (!ex.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
        {
            return FirstSentence(ex.Message);
        }

        return Expected(member, parts.Length > 1 ? parts[1] : null);
    }

    private static string Expected(string? member, string? field) => member?.ToLowerInvariant() switch
    {
        null => "the file must hold one JSON object, like { \"start\": [\"https://example.com/\"] }.",
        "start" => "\"start\" must be a list of URL strings, like [\"https://example.com/\"].",
        "sitemap" => "\"sitemap\" must be a URL string, or a list of them.",
        "nofollow" => "\"noFollow\" must be true or false.",
        "allow" or "deny" => $"\"{member}\" must be a regular expression string, or a list of them.",
        "fields" when field is not null => $"field \"{field}\" must be a selector string, like \"h1::text\".",
        "fields" => "\"fields\" must be an object of field names and selector strings, like { \"title\": \"h1::text\" }.",
        _ => $"\"{member}\" must be a string.",
    };

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..(end + 1)] : message;
    }

    private sealed class StringOrArrayConverter : JsonConverter<List<string>>
    {
        public override List<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                return [reader.GetString()!];
            }

            // A JsonException without a message gets the member's path from the serializer, for the error message.
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw new JsonException();
            }

            var list = new List<string>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                list.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException());
            }

            return list;
        }

        public override void Write(Utf8JsonWriter writer, List<string> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value);
    }
}

/// <summary>A declarative spider definition is invalid: bad JSON, a bad regular expression or selector, or a bad start URL.</summary>
public sealed class SpiderDefinitionException : Exception
{
    /// <summary>Creates the exception with a message for the user.</summary>
    public SpiderDefinitionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message for the user and its cause.</summary>
    public SpiderDefinitionException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
