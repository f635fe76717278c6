using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Trawl.Tests.Support;

/// <summary>
/// A strict reader of the Prometheus text format 0.0.4, for tests. It throws <see cref="FormatException"/>, naming the
/// line, on anything the format forbids and on what the endpoint never writes: blank lines, other comments, timestamps,
/// a sample outside the family its <c># TYPE</c> line opened, a <c># HELP</c> or <c># TYPE</c> given twice, duplicate
/// label names or series, and escapes other than <c>\\</c>, <c>\"</c> and <c>\n</c>.
/// </summary>
public sealed partial class PrometheusScrape
{
    private readonly Dictionary<string, ScrapedFamily> _families = new(StringComparer.Ordinal);

    private PrometheusScrape()
    {
    }

    public IReadOnlyDictionary<string, ScrapedFamily> Families => _families;

    public static async Task<PrometheusScrape> GetAsync(HttpClient client, Uri url) => (await GetWithTextAsync(client, url)).Scrape;

    /// <summary>GETs <paramref name="url"/>, checks the Content-Type and parses the body.</summary>
    public static async Task<(PrometheusScrape Scrape, string Text)> GetWithTextAsync(HttpClient client, Uri url)
    {
        using var response = await client.GetAsync(url);
        response.EnsureSuccessStatusCode();
        response.Content.Headers.ContentType!.ToString().ShouldBe("text/plain; version=0.0.4; charset=utf-8");
        var text = await response.Content.ReadAsStringAsync();
        return (Parse(text), text);
    }

    public static PrometheusScrape Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            throw new FormatException("The exposition must end with a line feed.");
        }

        var scrape = new PrometheusScrape();
        var series = new HashSet<string>(StringComparer.Ordinal);
        ScrapedFamily? current = null;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length - 1; i++)
        {
            var line = lines[i];
            var where = $"line {i + 1} '{line}'";
            if (line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                current = scrape.Describe(line, current, where);
                continue;
            }

            if (line.Length == 0 || line.StartsWith('#'))
            {
                throw new FormatException($"Unexpected {where}.");
            }

            var sample = ParseSample(line, where);
            if (current?.Type is null || !current.Owns(sample.Name))
            {
                throw new FormatException($"Sample {where} is outside its family (the last TYPE was {current?.Name ?? "none"}).");
            }

            if (!series.Add(sample.Name + "|" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value))))
            {
                throw new FormatException($"Duplicate series at {where}.");
            }

            if (current.Type == "histogram" && sample.Name.EndsWith("_bucket", StringComparison.Ordinal) && !sample.Labels.ContainsKey("le"))
            {
                throw new FormatException($"A bucket without le at {where}.");
            }

            current.Samples.Add(sample);
        }

        return scrape;
    }

    public ScrapedFamily Family(string name) =>
        _families.TryGetValue(name, out var family) ? family : throw new ShouldAssertException($"No family {name}; the scrape has {string.Join(", ", _families.Keys)}.");

    /// <summary>The value of the one sample named <paramref name="name"/> with exactly these labels (beside those in <paramref name="ignore"/>), or null.</summary>
    public double? Value(string name, IReadOnlyDictionary<string, string> labels, params string[] ignore)
    {
        var matches = _families.Values.SelectMany(f => f.Samples)
            .Where(s => s.Name == name && Same(s.Labels.Where(l => !ignore.Contains(l.Key)), labels))
            .ToList();
        return matches.Count switch
        {
            0 => null,
            1 => matches[0].Value,
            _ => throw new ShouldAssertException($"{matches.Count} samples {name} match."),
        };
    }

    /// <summary>The samples of family <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public IEnumerable<ScrapedSample> Samples(string name, IReadOnlyDictionary<string, string> labels) =>
        Family(name).Samples.Where(s => labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));

    private static bool Same(IEnumerable<KeyValuePair<string, string>> a, IReadOnlyDictionary<string, string> b)
    {
        var list = a.ToList();
        return list.Count == b.Count && list.All(l => b.TryGetValue(l.Key, out var v) && v == l.Value);
    }

    private ScrapedFamily Describe(string line, ScrapedFamily? current, string where)
    {
        var help = line[2] == 'H';
        var rest = line[7..];
        var space = rest.IndexOf(' ');
        var name = space < 0 ? rest : rest[..space];
        var argument = space < 0 ? string.Empty : rest[(space + 1)..];
        if (!MetricName().IsMatch(name))
        {
            throw new FormatException($"Bad metric name at {where}.");
        }

        if (!_families.TryGetValue(name, out var family))
        {
            family = new ScrapedFamily(name);
            _families.Add(name, family);
        }
        else if (family != current || family.Samples.Count > 0)
        {
            throw new FormatException($"Family {name} described again at {where}, after other lines.");
        }

        if (help)
        {
            if (family.Help is not null || family.Type is not null)
            {
                throw new FormatException($"HELP given twice, or after TYPE, at {where}.");
            }

            family.Help = Unescape(argument, allowQuote: false, where);
        }
        else
        {
            if (family.Type is not null || argument is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
            {
                throw new FormatException($"Bad or repeated TYPE at {where}.");
            }

            family.Type = argument;
        }

        return family;
    }

    private static ScrapedSample ParseSample(string line, string where)
    {
        var match = SampleLine().Match(line);
        if (!match.Success)
        {
            throw new FormatException($"Malformed sample {where}.");
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var text = match.Groups["labels"].Value;
        var position = 0;
        while (position < text.Length)
        {
            var label = LabelPair().Match(text, position);
            if (!label.Success || label.Index != position)
            {
                throw new FormatException($"Malformed labels {where}.");
            }

            if (!labels.TryAdd(label.Groups["name"].Value, Unescape(label.Groups["value"].Value, allowQuote: true, where)))
            {
                throw new FormatException($"Duplicate label at {where}.");
            }

            position += label.Length;
            if (position < text.Length)
            {
                if (text[position] != ',' || position == text.Length - 1)
                {
                    throw new FormatException($"Malformed labels {where}.");
                }

                position++;
            }
        }

        return new ScrapedSample(match.Groups["name"].Value, labels, ParseValue(match.Groups["value"].Value, where));
    }

    private static double ParseValue(string text, string where) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : throw new FormatException($"Bad value at {where}."),
    };

    private static string Unescape(string text, bool allowQuote, string where)
    {
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\')
            {
                if (i + 1 >= text.Length)
                {
                    throw new FormatException($"A dangling backslash at {where}.");
                }

                c = text[++i] switch
                {
                    '\\' => '\\',
                    'n' => '\n',
                    '"' when allowQuote => '"',
                    _ => throw new FormatException($"A bad escape at {where}."),
                };
            }
            else if (c == '"' && allowQuote)
            {
                throw new FormatException($"An unescaped quote at {where}.");
            }

            result.Append(c);
        }

        return result.ToString();
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^\n]*)\})? (?<value>\S+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(""""(?<name>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)"(?=,|$)"""")]
    private static partial Regex LabelPair();
}

public sealed class ScrapedFamily(string name)
{
    public string Name { get; } = name;

    public string? Help { get; set; }

    public string? Type { get; set; }

    public List<ScrapedSample> Samples { get; } = [];

    public bool Owns(string sample) => Type == "histogram"
        ? sample == Name + "_bucket" || sample == Name + "_sum" || sample == Name + "_count"
        : sample == Name;

    /// <summary>
    /// Checks the histogram with these labels (le aside) and returns its count and sum: buckets in rising order of le,
    /// cumulative, ending with +Inf, which equals the count.
    /// </summary>
    public (double Count, double Sum) Histogram(IReadOnlyDictionary<string, string> labels)
    {
        Type.ShouldBe("histogram");
        bool Mine(ScrapedSample s) => s.Labels.Count(l => l.Key != "le") == labels.Count && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value);
        var buckets = Samples.Where(s => s.Name == Name + "_bucket" && Mine(s)).ToList();
        buckets.ShouldNotBeEmpty();
        var bounds = buckets.Select(b => b.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(b.Labels["le"], CultureInfo.InvariantCulture)).ToList();
        bounds.ShouldBe(bounds.Order().ToList(), "buckets come in rising order of le");
        bounds[^1].ShouldBe(double.PositiveInfinity);
        for (var i = 1; i < buckets.Count; i++)
        {
            buckets[i].Value.ShouldBeGreaterThanOrEqualTo(buckets[i - 1].Value, "buckets are cumulative");
        }

        var count = Samples.Single(s => s.Name == Name + "_count" && Mine(s)).Value;
        var sum = Samples.Single(s => s.Name == Name + "_sum" && Mine(s)).Value;
        count.ShouldBe(buckets[^1].Value, "the +Inf bucket holds every observation");
        return (count, sum);
    }
}

public sealed record ScrapedSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);
