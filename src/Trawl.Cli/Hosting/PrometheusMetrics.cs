using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Prometheus;
using Trawl.Engine;

namespace Trawl.Cli.Hosting;

/// <summary>
/// The instruments of one meter (by default <see cref="CrawlMetrics.MeterName"/>) as prometheus-net metrics, in a
/// registry of their own that prometheus-net writes in the Prometheus text format.
/// </summary>
/// <remarks>
/// <para>A <see cref="MeterListener"/> feeds prometheus-net's own counters, gauges and histograms. prometheus-net's
/// <c>MeterAdapter</c> is not used: it exposes every .NET counter as a gauge, puts the meter's name in front of each
/// metric's (<c>trawl_trawl_pages_fetched</c>) and the instrument's type in its help, which would change every metric
/// that <c>--metrics</c> documents. Names here follow OpenTelemetry's rules for Prometheus instead: <see cref="MetricName"/>.</para>
/// <para>Counters become counters and up-down counters gauges, both from their increments; histograms keep their
/// advised bucket boundaries (prometheus-net's defaults otherwise). Observable instruments are read at each scrape: the
/// values observed for one label set add up, and a label set not observed any more (a crawl that ended) is removed.</para>
/// <para>A metric's label names are its measurements' tag names, sanitized and sorted, without the constant labels
/// (which win); a metric appears at its first measurement.</para>
/// </remarks>
internal sealed class PrometheusMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly IMetricFactory _factory;
    private readonly HashSet<string> _constantLabels;
    private readonly ConcurrentDictionary<Instrument, Family> _families = new();
    private readonly Lock _observing = new();

    /// <param name="constantLabels">Labels added to every sample, for example the <c>worker</c> of a cluster worker.</param>
    /// <param name="meterName">The meter whose instruments are exposed.</param>
    public PrometheusMetrics(IReadOnlyDictionary<string, string>? constantLabels = null, string meterName = CrawlMetrics.MeterName)
    {
        Registry = Metrics.NewCustomRegistry();
        var labels = (constantLabels ?? new Dictionary<string, string>()).ToDictionary(pair => LabelName(pair.Key), pair => pair.Value, StringComparer.Ordinal);
        _constantLabels = [.. labels.Keys];
        _factory = labels.Count == 0 ? Metrics.WithCustomRegistry(Registry) : Metrics.WithCustomRegistry(Registry).WithLabels(labels);
        Registry.AddBeforeCollectCallback(Observe);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (string.Equals(instrument.Meter.Name, meterName, StringComparison.Ordinal) && Family.For(instrument, this) is { } family)
            {
                _families[instrument] = family;
                listener.EnableMeasurementEvents(instrument, family);
            }
        };
        _listener.MeasurementsCompleted = (instrument, state) => _families.TryRemove(instrument, out var _);
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((Family)state!).Record((double)value, tags));
        _listener.Start();
    }

    /// <summary>The registry the metrics are in: what the endpoint serves.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>The metrics now, in the Prometheus text format.</summary>
    public async Task<string> ScrapeAsync(CancellationToken cancellationToken)
    {
        using var text = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(text, cancellationToken).ConfigureAwait(false);
        return Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>
    /// The Prometheus name of an instrument, as OpenTelemetry's Prometheus exporters write it: characters outside
    /// <c>[a-zA-Z0-9_:]</c> become <c>_</c>, the unit is appended (<c>s</c> as <c>_seconds</c>, <c>By</c> as <c>_bytes</c>;
    /// annotations in braces are not units), and counters end in <c>_total</c>; each suffix only when the name does not
    /// end with it already.
    /// </summary>
    internal static string MetricName(string instrument, string? unit, bool counter)
    {
        var name = Sanitize(instrument, allowColon: true);
        if (UnitSuffix(unit) is { } suffix && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name += "_" + suffix;
        }

        return counter && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
    }

    /// <summary>A valid label name: characters outside <c>[a-zA-Z0-9_]</c> become <c>_</c>; no leading digit, no leading <c>__</c> (reserved).</summary>
    internal static string LabelName(string name)
    {
        var label = Sanitize(name, allowColon: false);
        return label.StartsWith("__", StringComparison.Ordinal) ? "x" + label : label;
    }

    /// <summary>
    /// Help text as the text format 0.0.4 wants it, backslash and line feed escaped: prometheus-net writes help as given
    /// (it escapes label values itself).
    /// </summary>
    internal static string HelpText(string description) =>
        description.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    // Reads the observable instruments for a scrape; one scrape at a time, so each sees whole readings.
    private void Observe()
    {
        lock (_observing)
        {
            var observed = _families.Values.OfType<ObservedFamily>().ToList();
            foreach (var family in observed)
            {
                family.BeginObservation();
            }

            _listener.RecordObservableInstruments();
            foreach (var family in observed)
            {
                family.EndObservation();
            }
        }
    }

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

    private static string Text(object? value) => value as string ?? Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;

    /// <summary>
    /// One instrument's metric. prometheus-net fixes a metric's label names when it is created, so each set of tag names
    /// (in the order a measurement gives them) gets a <see cref="Shape"/> of its own: one metric of the family.
    /// </summary>
    private abstract class Family(Instrument instrument, PrometheusMetrics owner, bool counter)
    {
        private readonly ConcurrentDictionary<string, Shape?> _shapes = new(StringComparer.Ordinal);
        private volatile Shape? _last;

        protected string Name { get; } = MetricName(instrument.Name, instrument.Unit, counter);

        protected string Help { get; } = HelpText(string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description);

        protected IMetricFactory Factory => owner._factory;

        public static Family? For(Instrument instrument, PrometheusMetrics owner)
        {
            var type = instrument.GetType();
            var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
            return definition switch
            {
                _ when definition == typeof(Counter<>) => new CounterFamily(instrument, owner),
                _ when definition == typeof(UpDownCounter<>) => new UpDownFamily(instrument, owner),
                _ when definition == typeof(Histogram<>) => new HistogramFamily(instrument, owner),
                _ when definition == typeof(ObservableCounter<>) => new ObservedFamily(instrument, owner, counter: true),
                _ when definition == typeof(ObservableGauge<>) || definition == typeof(ObservableUpDownCounter<>) => new ObservedFamily(instrument, owner, counter: false),
                _ => null,
            };
        }

        /// <summary>Records one measurement. Never throws: it runs inside the code that measured.</summary>
        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (ShapeOf(tags) is not { } shape)
            {
                return;
            }

            try
            {
                Record(shape, tags, value);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                // A value prometheus-net refuses (a negative increment of a counter) is dropped, not thrown at the crawl.
            }
        }

        protected abstract void Record(Shape shape, ReadOnlySpan<KeyValuePair<string, object?>> tags, double value);

        protected abstract Collector Create(string[] labelNames);

        /// <summary>The label values of <paramref name="tags"/>, in the shape's label order.</summary>
        public static string[] LabelValuesOf(Shape shape, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var values = new string[shape.Labels.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = Text(tags[shape.Labels[i]].Value);
            }

            return values;
        }

        // The shape of the tags met last is checked first: an instrument's measurements mostly share one.
        private Shape? ShapeOf(ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            _last is { } last && last.Matches(tags) ? last : FindShape(tags);

        private Shape? FindShape(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var keys = new string[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                keys[i] = tags[i].Key;
            }

            var shape = _shapes.GetOrAdd(string.Join('\0', keys), static (_, state) => state.Family.NewShape(state.Keys), (Family: this, Keys: keys));
            if (shape is not null)
            {
                _last = shape;
            }

            return shape;
        }

        // Labels sorted by name, tags named like a constant label left out, and of two tags with one label name the
        // first kept. Null when prometheus-net refuses the metric (a name taken by a metric of another type): the
        // measurements of that shape are dropped.
        private Shape? NewShape(string[] keys)
        {
            var labels = new SortedDictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < keys.Length; i++)
            {
                var label = LabelName(keys[i]);
                if (!owner._constantLabels.Contains(label))
                {
                    labels.TryAdd(label, i);
                }
            }

            try
            {
                return new Shape(keys, [.. labels.Values], Create([.. labels.Keys]));
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                return null;
            }
        }
    }

    /// <summary>A set of tag names, which tags give the label values in label order, and the metric they feed.</summary>
    private sealed class Shape(string[] keys, int[] labels, Collector collector)
    {
        private volatile Series? _last;

        public int[] Labels { get; } = labels;

        public Collector Collector { get; } = collector;

        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length != keys.Length)
            {
                return false;
            }

            for (var i = 0; i < keys.Length; i++)
            {
                if (!string.Equals(tags[i].Key, keys[i], StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// The metric's child (one series) for <paramref name="tags"/>. The series met last is kept and checked first, so
        /// a measurement like the one before costs no lookup in prometheus-net and no allocation.
        /// </summary>
        public TChild Child<TChild>(ReadOnlySpan<KeyValuePair<string, object?>> tags, Func<Collector, string[], TChild> lookup)
            where TChild : class
        {
            if (_last is { } last && last.Matches(Labels, tags))
            {
                return (TChild)last.Child;
            }

            var values = Family.LabelValuesOf(this, tags);
            var child = lookup(Collector, values);
            _last = new Series(values, child);
            return child;
        }
    }

    /// <summary>One series of a metric: its label values and prometheus-net's child for them.</summary>
    private sealed class Series(string[] values, object child)
    {
        public object Child { get; } = child;

        public bool Matches(int[] labels, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            for (var i = 0; i < values.Length; i++)
            {
                if (!string.Equals(values[i], tags[labels[i]].Value as string, StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }
    }

    // Counters, up-down counters and histograms never lose a series, so the child a shape keeps stays valid.
    private sealed class CounterFamily(Instrument instrument, PrometheusMetrics owner) : Family(instrument, owner, counter: true)
    {
        protected override Collector Create(string[] labelNames) => Factory.CreateCounter(Name, Help, labelNames);

        protected override void Record(Shape shape, ReadOnlySpan<KeyValuePair<string, object?>> tags, double value) =>
            shape.Child(tags, static (collector, values) => ((Prometheus.Counter)collector).WithLabels(values)).Inc(value);
    }

    private sealed class UpDownFamily(Instrument instrument, PrometheusMetrics owner) : Family(instrument, owner, counter: false)
    {
        protected override Collector Create(string[] labelNames) => Factory.CreateGauge(Name, Help, labelNames);

        protected override void Record(Shape shape, ReadOnlySpan<KeyValuePair<string, object?>> tags, double value) =>
            shape.Child(tags, static (collector, values) => ((Gauge)collector).WithLabels(values)).Inc(value);
    }

    private sealed class HistogramFamily(Instrument instrument, PrometheusMetrics owner) : Family(instrument, owner, counter: false)
    {
        // Null leaves prometheus-net's default buckets.
        private readonly double[]? _buckets = instrument switch
        {
            Histogram<double> { Advice.HistogramBucketBoundaries: { Count: > 0 } advised } => [.. advised],
            Histogram<long> { Advice.HistogramBucketBoundaries: { Count: > 0 } advised } => [.. advised.Select(static bound => (double)bound)],
            Histogram<int> { Advice.HistogramBucketBoundaries: { Count: > 0 } advised } => [.. advised.Select(static bound => (double)bound)],
            _ => null,
        };

        protected override Collector Create(string[] labelNames) =>
            Factory.CreateHistogram(Name, Help, labelNames, new HistogramConfiguration { Buckets = _buckets });

        protected override void Record(Shape shape, ReadOnlySpan<KeyValuePair<string, object?>> tags, double value) =>
            shape.Child(tags, static (collector, values) => ((Prometheus.Histogram)collector).WithLabels(values)).Observe(value);
    }

    /// <summary>
    /// Observable instruments, whose measurements are current values taken at each scrape: counters (their totals) or
    /// gauges. Used between <see cref="BeginObservation"/> and <see cref="EndObservation"/>, one scrape at a time.
    /// </summary>
    private sealed class ObservedFamily(Instrument instrument, PrometheusMetrics owner, bool counter) : Family(instrument, owner, counter)
    {
        private readonly Dictionary<(Shape Shape, string Key), (string[] Values, double Sum)> _readings = [];
        private Dictionary<(Shape Shape, string Key), string[]> _previous = [];
        private readonly Lock _gate = new();
        private readonly bool _counter = counter;

        public void BeginObservation()
        {
            lock (_gate)
            {
                _readings.Clear();
            }
        }

        // Sets what was observed and removes the label sets observed last time but not this time.
        public void EndObservation()
        {
            lock (_gate)
            {
                foreach (var ((shape, _), (values, sum)) in _readings)
                {
                    if (shape.Collector is Prometheus.Counter total)
                    {
                        total.WithLabels(values).IncTo(sum);
                    }
                    else
                    {
                        ((Gauge)shape.Collector).WithLabels(values).Set(sum);
                    }
                }

                foreach (var ((shape, key), values) in _previous)
                {
                    if (!_readings.ContainsKey((shape, key)))
                    {
                        RemoveLabelled(shape.Collector, values);
                    }
                }

                _previous = _readings.ToDictionary(pair => pair.Key, pair => pair.Value.Values);
            }
        }

        protected override Collector Create(string[] labelNames) =>
            _counter ? Factory.CreateCounter(Name, Help, labelNames) : Factory.CreateGauge(Name, Help, labelNames);

        protected override void Record(Shape shape, ReadOnlySpan<KeyValuePair<string, object?>> tags, double value)
        {
            var values = LabelValuesOf(shape, tags);
            var key = (shape, string.Join('\0', values));
            lock (_gate)
            {
                _readings[key] = (values, _readings.TryGetValue(key, out var reading) ? reading.Sum + value : value);
            }
        }

        private static void RemoveLabelled(Collector collector, string[] values)
        {
            switch (collector)
            {
                case Prometheus.Counter total:
                    total.RemoveLabelled(values);
                    break;
                case Gauge gauge:
                    gauge.RemoveLabelled(values);
                    break;
            }
        }
    }
}
