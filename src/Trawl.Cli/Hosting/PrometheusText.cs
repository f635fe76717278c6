using System.Globalization;
using System.Text;

namespace Trawl.Cli.Hosting;

/// <summary>The kind of a metric family in the Prometheus text format.</summary>
internal enum MetricKind
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>One metric family: its exposed name, help text, kind and samples.</summary>
internal sealed record MetricFamily(string Name, string Help, MetricKind Kind, IReadOnlyList<MetricPoint> Points);

/// <summary>
/// One labelled sample of a family: <paramref name="Value"/> for counters and gauges, <paramref name="Histogram"/> for
/// histograms.
/// </summary>
internal sealed record MetricPoint(IReadOnlyList<KeyValuePair<string, string>> Labels, double Value, HistogramPoint? Histogram = null);

/// <summary>
/// A histogram's state: <paramref name="BucketCounts"/> holds, per bucket, the observations at most its upper bound and
/// above the previous one (not cumulative), with one more entry than <paramref name="Bounds"/> for those above the last.
/// </summary>
internal sealed record HistogramPoint(IReadOnlyList<double> Bounds, IReadOnlyList<long> BucketCounts, double Sum);

/// <summary>
/// Writes metrics in the Prometheus text exposition format, version 0.0.4: <c># HELP</c> and <c># TYPE</c> lines,
/// then one line per sample; counters end in <c>_total</c>; histograms as cumulative <c>_bucket{le="…"}</c> lines ending
/// with <c>le="+Inf"</c>, then <c>_sum</c> and <c>_count</c>.
/// </summary>
internal static class PrometheusText
{
    /// <summary>The Content-Type of the format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>
    /// The exposed name of an instrument: characters outside <c>[a-zA-Z0-9_:]</c> become <c>_</c>, the unit is appended
    /// (<c>s</c> as <c>_seconds</c>, <c>By</c> as <c>_bytes</c>; annotations in braces are not units), and counters
    /// end in <c>_total</c>. Each suffix is added only when the name does not end with it already.
    /// </summary>
    public static string MetricName(string instrument, string? unit, MetricKind kind)
    {
        var name = Sanitize(instrument, allowColon: true);
        if (UnitSuffix(unit) is { } suffix && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name += "_" + suffix;
        }

        return kind == MetricKind.Counter && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
    }

    /// <summary>A valid label name: characters outside <c>[a-zA-Z0-9_]</c> become <c>_</c>; no leading digit.</summary>
    public static string LabelName(string name) => Sanitize(name, allowColon: false);

    /// <summary>Writes <paramref name="families"/>, in the order given.</summary>
    public static void Write(TextWriter writer, IEnumerable<MetricFamily> families)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(families);
        var line = new StringBuilder();
        foreach (var family in families)
        {
            line.Clear();
            line.Append("# HELP ").Append(family.Name).Append(' ').Append(EscapeHelp(family.Help)).Append('\n');
            line.Append("# TYPE ").Append(family.Name).Append(' ').Append(TypeName(family.Kind)).Append('\n');
            foreach (var point in family.Points)
            {
                if (family.Kind == MetricKind.Histogram)
                {
                    AppendHistogram(line, family.Name, point);
                }
                else
                {
                    AppendSample(line, family.Name, point.Labels, null, point.Value);
                }
            }

            writer.Write(line);
        }
    }

    /// <summary>Escapes a label value: backslash, double quote and line feed.</summary>
    public static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>Escapes help text: backslash and line feed.</summary>
    public static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>A sample value as Prometheus reads it: <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>, or the shortest round-trip form.</summary>
    public static string FormatValue(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static void AppendHistogram(StringBuilder line, string name, MetricPoint point)
    {
        var histogram = point.Histogram ?? throw new ArgumentException($"Histogram {name} has a point without buckets.", nameof(point));
        if (histogram.BucketCounts.Count != histogram.Bounds.Count + 1)
        {
            throw new ArgumentException($"Histogram {name} has {histogram.BucketCounts.Count} bucket counts for {histogram.Bounds.Count} bounds.", nameof(point));
        }

        var cumulative = 0L;
        for (var i = 0; i < histogram.BucketCounts.Count; i++)
        {
            cumulative += histogram.BucketCounts[i];
            var le = i < histogram.Bounds.Count ? FormatValue(histogram.Bounds[i]) : "+Inf";
            AppendSample(line, name + "_bucket", point.Labels, le, cumulative);
        }

        AppendSample(line, name + "_sum", point.Labels, null, histogram.Sum);
        AppendSample(line, name + "_count", point.Labels, null, cumulative);
    }

    private static void AppendSample(StringBuilder line, string name, IReadOnlyList<KeyValuePair<string, string>> labels, string? le, double value)
    {
        line.Append(name);
        if (labels.Count > 0 || le is not null)
        {
            line.Append('{');
            var first = true;
            foreach (var (label, text) in labels)
            {
                AppendLabel(line, ref first, label, text);
            }

            if (le is not null)
            {
                AppendLabel(line, ref first, "le", le);
            }

            line.Append('}');
        }

        line.Append(' ').Append(FormatValue(value)).Append('\n');
    }

    private static void AppendLabel(StringBuilder line, ref bool first, string name, string value)
    {
        if (!first)
        {
            line.Append(',');
        }

        first = false;
        line.Append(LabelName(name)).Append("=\"").Append(EscapeLabelValue(value)).Append('"');
    }

    private static string TypeName(MetricKind kind) => kind switch
    {
        MetricKind.Counter => "counter",
        MetricKind.Gauge => "gauge",
        MetricKind.Histogram => "histogram",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static string? UnitSuffix(string? unit) => unit switch
    {
        null or "" or "1" => null,
        "s" => "seconds",
        "ms" => "milliseconds",
        "By" => "bytes",
        _ when unit.StartsWith('{') => null,
        _ => Sanitize(unit, allowColon: false),
    };

    private static string Sanitize(string name, bool allowColon)
    {
        if (name.Length == 0)
        {
            return "_";
        }

        var builder = new StringBuilder(name.Length + 1);
        if (char.IsAsciiDigit(name[0]))
        {
            builder.Append('_');
        }

        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_');
        }

        return builder.ToString();
    }
}
