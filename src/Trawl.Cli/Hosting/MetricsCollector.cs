using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Trawl.Engine;

namespace Trawl.Cli.Hosting;

/// <summary>
/// Listens to one meter (by default <see cref="CrawlMetrics.MeterName"/>) with a <see cref="MeterListener"/> and keeps
/// what Prometheus needs: counters and up-down counters summed per tag set, histograms in their advised buckets, and
/// observable instruments read at each scrape.
/// </summary>
internal sealed class MetricsCollector : IDisposable
{
    /// <summary>Prometheus' default buckets, for histograms that advise none.</summary>
    private static readonly double[] DefaultBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Family> _families = new();
    private readonly Lock _scrape = new();
    private volatile KeyValuePair<string, string>[] _constantLabels = [];

    public MetricsCollector(string meterName = CrawlMetrics.MeterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (string.Equals(instrument.Meter.Name, meterName, StringComparison.Ordinal) && Family.For(instrument) is { } family)
            {
                _families[instrument] = family;
                listener.EnableMeasurementEvents(instrument, family);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Adds a label to every sample, for example the worker id of a cluster worker.</summary>
    public void AddConstantLabel(string name, string value) =>
        _constantLabels = [.. _constantLabels.Where(label => !string.Equals(label.Key, name, StringComparison.Ordinal)), new(name, value)];

    /// <summary>Reads the observable instruments and returns every family, ordered by name.</summary>
    public IReadOnlyList<MetricFamily> Collect()
    {
        lock (_scrape)
        {
            foreach (var family in _families.Values)
            {
                family.BeginObservation();
            }

            _listener.RecordObservableInstruments();
            var constant = _constantLabels;
            return [.. _families.Values.Select(family => family.Snapshot(constant)).OrderBy(family => family.Name, StringComparer.Ordinal)];
        }
    }

    /// <summary>The metrics in the Prometheus text format.</summary>
    public string Scrape()
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        PrometheusText.Write(text, Collect());
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>One instrument's series, keyed by tag set.</summary>
    private abstract class Family(Instrument instrument, MetricKind kind)
    {
        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);

        public static Family? For(Instrument instrument)
        {
            var type = instrument.GetType();
            var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
            if (definition == typeof(Counter<>))
            {
                return new ValueFamily(instrument, MetricKind.Counter, observed: false);
            }

            if (definition == typeof(UpDownCounter<>))
            {
                return new ValueFamily(instrument, MetricKind.Gauge, observed: false);
            }

            if (definition == typeof(ObservableCounter<>))
            {
                return new ValueFamily(instrument, MetricKind.Counter, observed: true);
            }

            if (definition == typeof(ObservableGauge<>) || definition == typeof(ObservableUpDownCounter<>))
            {
                return new ValueFamily(instrument, MetricKind.Gauge, observed: true);
            }

            if (definition == typeof(Histogram<>))
            {
                IEnumerable<double>? bounds = instrument switch
                {
                    Histogram<double> { Advice.HistogramBucketBoundaries: { Count: > 0 } advised } => advised,
                    Histogram<long> { Advice.HistogramBucketBoundaries: { Count: > 0 } advised } => advised.Select(static bound => (double)bound),
                    _ => null,
                };
                return new HistogramFamily(instrument, bounds is null ? DefaultBounds : [.. bounds]);
            }

            return null;
        }

        public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

        public virtual void BeginObservation()
        {
        }

        public MetricFamily Snapshot(KeyValuePair<string, string>[] constant)
        {
            var points = _series.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => Point(Labels(pair.Value.Tags, constant), pair.Value)).ToList();
            var help = string.IsNullOrEmpty(instrument.Description) ? instrument.Name : instrument.Description;
            return new MetricFamily(PrometheusText.MetricName(instrument.Name, instrument.Unit, kind), help, kind, points);
        }

        protected abstract MetricPoint Point(IReadOnlyList<KeyValuePair<string, string>> labels, Series series);

        protected abstract Series NewSeries(KeyValuePair<string, string>[] tags);

        // The key is the tags written out; looked up as a span, so a series seen before costs no allocation.
        protected Series Get(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var length = 0;
            foreach (var tag in tags)
            {
                length += tag.Key.Length + Text(tag.Value).Length + 2;
            }

            var key = length <= 256 ? stackalloc char[length] : new char[length];
            var at = 0;
            foreach (var tag in tags)
            {
                at += Append(key[at..], tag.Key);
                at += Append(key[at..], Text(tag.Value));
            }

            if (_series.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out var series))
            {
                return series;
            }

            var pairs = new KeyValuePair<string, string>[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                pairs[i] = new(tags[i].Key, Text(tags[i].Value));
            }

            return _series.GetOrAdd(new string(key), NewSeries(pairs));
        }

        protected void Clear() => _series.Clear();

        private static int Append(Span<char> key, string text)
        {
            text.CopyTo(key);
            key[text.Length] = '\0';
            return text.Length + 1;
        }

        private static string Text(object? value) => value as string ?? Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;

        // The labels of a sample: its tags and the constant labels (which win), ordered by name.
        private static KeyValuePair<string, string>[] Labels(KeyValuePair<string, string>[] tags, KeyValuePair<string, string>[] constant) =>
            [.. tags.Where(tag => !constant.Any(label => string.Equals(label.Key, tag.Key, StringComparison.Ordinal))).Concat(constant).OrderBy(label => label.Key, StringComparer.Ordinal)];
    }

    /// <summary>A tag set's state; <see cref="Gate"/> guards its fields.</summary>
    private class Series(KeyValuePair<string, string>[] tags)
    {
        public KeyValuePair<string, string>[] Tags { get; } = tags;

        public Lock Gate { get; } = new();

        public double Value { get; set; }
    }

    private sealed class HistogramSeries(KeyValuePair<string, string>[] tags, int buckets) : Series(tags)
    {
        public long[] Counts { get; } = new long[buckets];
    }

    /// <summary>
    /// Counters and up-down counters, whose measurements are increments; and observable instruments, whose measurements
    /// are current values taken at each scrape (several with one tag set, say two crawls of one spider, add up; a tag set
    /// not observed this time is gone).
    /// </summary>
    private sealed class ValueFamily(Instrument instrument, MetricKind kind, bool observed) : Family(instrument, kind)
    {
        public override void BeginObservation()
        {
            if (observed)
            {
                Clear();
            }
        }

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var series = Get(tags);
            lock (series.Gate)
            {
                series.Value += value;
            }
        }

        protected override Series NewSeries(KeyValuePair<string, string>[] tags) => new(tags);

        protected override MetricPoint Point(IReadOnlyList<KeyValuePair<string, string>> labels, Series series)
        {
            lock (series.Gate)
            {
                return new MetricPoint(labels, series.Value);
            }
        }
    }

    private sealed class HistogramFamily(Instrument instrument, double[] bounds) : Family(instrument, MetricKind.Histogram)
    {
        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var series = (HistogramSeries)Get(tags);
            // Buckets are "less than or equal": the first bound at or above the value.
            var index = Array.BinarySearch(bounds, value);
            var bucket = index >= 0 ? index : ~index;
            lock (series.Gate)
            {
                series.Counts[bucket]++;
                series.Value += value;
            }
        }

        protected override Series NewSeries(KeyValuePair<string, string>[] tags) => new HistogramSeries(tags, bounds.Length + 1);

        protected override MetricPoint Point(IReadOnlyList<KeyValuePair<string, string>> labels, Series series)
        {
            var histogram = (HistogramSeries)series;
            lock (series.Gate)
            {
                return new MetricPoint(labels, series.Value, new HistogramPoint(bounds, [.. histogram.Counts], series.Value));
            }
        }
    }
}
