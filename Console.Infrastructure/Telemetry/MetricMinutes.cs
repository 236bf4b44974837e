using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace OperatorConsole.Infrastructure.Telemetry;

/// <summary>One figure of one minute: a counter's total, or a histogram's count, sum and bucket counts.</summary>
public sealed class MinuteFigure
{
    public double Value { get; set; }
    public double Sum { get; set; }
    public double[]? Buckets { get; set; }

    public void Add(MinuteFigure other)
    {
        Value += other.Value;
        Sum += other.Sum;
        if (other.Buckets is null) return;
        Buckets ??= new double[other.Buckets.Length];
        for (var i = 0; i < Math.Min(Buckets.Length, other.Buckets.Length); i++) Buckets[i] += other.Buckets[i];
    }

    public MinuteFigure Copy() => new() { Value = Value, Sum = Sum, Buckets = (double[]?)Buckets?.Clone() };
}

/// <summary>A figure's identity: instrument name and its tags as "key=value,…" sorted by key.</summary>
public readonly record struct FigureKey(string Name, string Tags)
{
    public string? Tag(string key)
    {
        foreach (var pair in Tags.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq > 0 && pair.AsSpan(0, eq).SequenceEqual(key)) return pair[(eq + 1)..];
        }
        return null;
    }
}

/// <summary>
/// This node's figures per minute for the last 24 hours, in memory: what the dashboard shows of this node at once, and
/// what <see cref="MetricMinutesWriter"/> copies to <c>metric_minutes</c> for the other nodes' dashboards. Filled by
/// <see cref="DashboardMetricExporter"/> from the same instruments <c>/metrics</c> publishes (no second set of counters).
/// </summary>
public sealed class MetricMinutes
{
    public static readonly TimeSpan Kept = TimeSpan.FromHours(24);

    private readonly object _lock = new();
    private readonly SortedDictionary<DateTimeOffset, Dictionary<FigureKey, MinuteFigure>> _minutes = new();
    private readonly HashSet<(DateTimeOffset Minute, FigureKey Key)> _dirty = [];

    public static DateTimeOffset MinuteOf(DateTimeOffset at) => new(at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);

    public void Add(DateTimeOffset at, FigureKey key, MinuteFigure delta)
    {
        var minute = MinuteOf(at);
        lock (_lock)
        {
            if (!_minutes.TryGetValue(minute, out var figures)) _minutes[minute] = figures = new Dictionary<FigureKey, MinuteFigure>();
            if (!figures.TryGetValue(key, out var figure)) figures[key] = figure = new MinuteFigure();
            figure.Add(delta);
            _dirty.Add((minute, key));
            while (_minutes.Count > 0 && _minutes.First().Key < minute - Kept) _minutes.Remove(_minutes.First().Key);
        }
    }

    /// <summary>Copies of this node's figures from <paramref name="since"/> (a minute) on.</summary>
    public List<(DateTimeOffset Minute, FigureKey Key, MinuteFigure Figure)> Since(DateTimeOffset since, Func<string, bool>? names = null)
    {
        lock (_lock)
        {
            return _minutes.Where(m => m.Key >= since)
                .SelectMany(m => m.Value.Where(f => names is null || names(f.Key.Name)).Select(f => (m.Key, f.Key, f.Value.Copy())))
                .ToList();
        }
    }

    /// <summary>The figures changed since the last call, with their minute's total so far (written as is: idempotent).</summary>
    public List<(DateTimeOffset Minute, FigureKey Key, MinuteFigure Figure)> TakeChanged()
    {
        lock (_lock)
        {
            var changed = _dirty.Where(d => _minutes.ContainsKey(d.Minute))
                .Select(d => (d.Minute, d.Key, _minutes[d.Minute][d.Key].Copy())).ToList();
            _dirty.Clear();
            return changed;
        }
    }

    /// <summary>Figures a failed write could not store: written again with the next ones.</summary>
    public void MarkChanged(IEnumerable<(DateTimeOffset Minute, FigureKey Key)> figures)
    {
        lock (_lock) foreach (var f in figures) _dirty.Add(f);
    }
}

/// <summary>
/// The dashboard's reader of the <c>OperatorConsole</c> meter: a periodic reader with delta temporality calls it about
/// every half second with what was measured since the last call, which it adds to this minute's figures.
/// </summary>
public sealed class DashboardMetricExporter(MetricMinutes minutes, NodeIdentity node, TimeProvider clock) : BaseExporter<Metric>
{
    public override ExportResult Export(in Batch<Metric> batch)
    {
        var now = clock.GetUtcNow();
        foreach (var metric in batch)
        {
            // Only this instance's meter (another app instance in the same process has its own figures).
            if (!IsThisNode(metric)) continue;
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                MinuteFigure? delta = metric.MetricType switch
                {
                    MetricType.LongSum => new MinuteFigure { Value = point.GetSumLong() },
                    MetricType.DoubleSum => new MinuteFigure { Value = point.GetSumDouble() },
                    MetricType.Histogram => Histogram(point),
                    _ => null, // gauges (the backlog) are read live by the dashboard
                };
                if (delta is null || delta.Value == 0) continue;
                var tags = new List<string>();
                foreach (var tag in point.Tags) tags.Add($"{tag.Key}={tag.Value}");
                tags.Sort(StringComparer.Ordinal);
                minutes.Add(now, new FigureKey(metric.Name, string.Join(',', tags)), delta);
            }
        }
        return ExportResult.Success;
    }

    private bool IsThisNode(Metric metric) => metric.MeterVersion == node.Id;

    private static MinuteFigure Histogram(in MetricPoint point)
    {
        var buckets = new List<double>();
        foreach (var bucket in point.GetHistogramBuckets()) buckets.Add(bucket.BucketCount);
        return new MinuteFigure { Value = point.GetHistogramCount(), Sum = point.GetHistogramSum(), Buckets = [.. buckets] };
    }
}
