using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Telemetry;

/// <summary>The histograms' bucket bounds (ms): set on the meter provider's views, and used to read percentiles back.</summary>
public static class HistogramBounds
{
    public static readonly double[] Fast = [1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 250, 500, 1000, 2500, 5000, 10000];
    public static readonly double[] Model = [50, 100, 250, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10000, 20000, 30000, 60000];

    public static double[] For(string instrument) => instrument == ConsoleTelemetry.LlmDuration || instrument == "console.agent.model.duration"
        || instrument == ConsoleTelemetry.AgentTurnDuration ? Model : Fast;

    /// <summary>
    /// The <paramref name="q"/> quantile of a histogram by its bucket counts (linear within the bucket, the last bucket
    /// read as its lower bound); null without measurements.
    /// </summary>
    public static double? Quantile(double[] bounds, double[]? buckets, double q)
    {
        if (buckets is null) return null;
        var total = buckets.Sum();
        if (total <= 0) return null;
        var rank = q * total;
        double seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            if (buckets[i] <= 0) continue;
            if (seen + buckets[i] >= rank)
            {
                var lower = i == 0 ? 0 : bounds[Math.Min(i - 1, bounds.Length - 1)];
                if (i >= bounds.Length) return lower;
                var upper = bounds[i];
                return lower + (upper - lower) * ((rank - seen) / buckets[i]);
            }
            seen += buckets[i];
        }
        return bounds[^1];
    }
}

/// <summary>Copies this node's changed minute figures to <c>metric_minutes</c> every second; drops rows older than a day.</summary>
public sealed class MetricMinutesWriter(MetricMinutes minutes, NodeIdentity node, ContextScopes scopes, TimeProvider clock,
    ILogger<MetricMinutesWriter> log) : BackgroundService
{
    private DateTimeOffset _lastPrune;

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        do
        {
            await WriteAsync(ct);
        } while (await WaitAsync(timer, ct));
        await WriteAsync(CancellationToken.None); // the last figures before the node stops
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async Task WriteAsync(CancellationToken ct)
    {
        var changed = minutes.TakeChanged();
        var now = clock.GetUtcNow();
        var prune = now - _lastPrune > TimeSpan.FromMinutes(5);
        if (changed.Count == 0 && !prune) return;
        try
        {
            await using var work = scopes.ForSystem("metric minutes");
            await work.Db.Database.OpenConnectionAsync(ct);
            await using var command = (NpgsqlCommand)work.Db.Database.GetDbConnection().CreateCommand();
            command.CommandText = """
                INSERT INTO metric_minutes (minute, node_id, name, tags, value, sum, buckets)
                SELECT r.minute, @node, r.name, r.tags, r.value, r.sum, CASE WHEN r.buckets = '' THEN NULL ELSE string_to_array(r.buckets, ',')::double precision[] END
                FROM unnest(@minute, @name, @tags, @value, @sum, @buckets) AS r(minute, name, tags, value, sum, buckets)
                ON CONFLICT (minute, node_id, name, tags) DO UPDATE SET value = excluded.value, sum = excluded.sum, buckets = excluded.buckets;
                """ + (prune ? "DELETE FROM metric_minutes WHERE minute < @forget;" : "");
            command.Parameters.AddWithValue("node", node.Id);
            command.Parameters.Add(new NpgsqlParameter("minute", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = changed.Select(c => c.Minute).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("name", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = changed.Select(c => c.Key.Name).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("tags", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = changed.Select(c => c.Key.Tags).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("value", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = changed.Select(c => c.Figure.Value).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("sum", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = changed.Select(c => c.Figure.Sum).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("buckets", NpgsqlDbType.Array | NpgsqlDbType.Text)
            {
                Value = changed.Select(c => c.Figure.Buckets is null ? "" : string.Join(',', c.Figure.Buckets.Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture)))).ToArray(),
            });
            command.Parameters.AddWithValue("forget", now - MetricMinutes.Kept - TimeSpan.FromHours(1));
            await command.ExecuteNonQueryAsync(ct);
            if (prune) _lastPrune = now;
        }
        catch (Exception ex)
        {
            minutes.MarkChanged(changed.Select(c => (c.Minute, c.Key)));
            if (!ct.IsCancellationRequested) log.LogWarning(ex, "Could not write {Count} metric figures of node {NodeId}", changed.Count, node.Id);
        }
    }
}

/// <summary>The whole cluster's figures per minute: this node's from memory (current to the last half second), the others' from <c>metric_minutes</c>.</summary>
public sealed class ClusterFigures(MetricMinutes minutes, NodeIdentity node, ContextScopes scopes)
{
    public sealed record Series(IReadOnlyDictionary<DateTimeOffset, Dictionary<FigureKey, MinuteFigure>> ByMinute)
    {
        public IEnumerable<(FigureKey Key, MinuteFigure Figure)> In(DateTimeOffset from, DateTimeOffset to) =>
            ByMinute.Where(m => m.Key >= from && m.Key <= to).SelectMany(m => m.Value.Select(f => (f.Key, f.Value)));

        /// <summary>Sum of a counter over minutes [from, to], optionally only where a tag has a value.</summary>
        public double Total(string name, DateTimeOffset from, DateTimeOffset to, Func<FigureKey, bool>? where = null) =>
            In(from, to).Where(f => f.Key.Name == name && (where is null || where(f.Key))).Sum(f => f.Figure.Value);

        /// <summary>A histogram merged over minutes [from, to], optionally only where a tag has a value.</summary>
        public MinuteFigure Merged(string name, DateTimeOffset from, DateTimeOffset to, Func<FigureKey, bool>? where = null)
        {
            var merged = new MinuteFigure();
            foreach (var (_, figure) in In(from, to).Where(f => f.Key.Name == name && (where is null || where(f.Key)))) merged.Add(figure);
            return merged;
        }
    }

    /// <summary>Figures of the given instruments from minute <paramref name="since"/> on, summed over the nodes.</summary>
    public async Task<Series> ReadAsync(DateTimeOffset since, IReadOnlyCollection<string> names, CancellationToken ct = default)
    {
        since = MetricMinutes.MinuteOf(since);
        var byMinute = new Dictionary<DateTimeOffset, Dictionary<FigureKey, MinuteFigure>>();
        void Add(DateTimeOffset minute, FigureKey key, MinuteFigure figure)
        {
            if (!byMinute.TryGetValue(minute, out var figures)) byMinute[minute] = figures = new Dictionary<FigureKey, MinuteFigure>();
            if (figures.TryGetValue(key, out var existing)) existing.Add(figure);
            else figures[key] = figure;
        }

        foreach (var (minute, key, figure) in minutes.Since(since, names.Contains)) Add(minute, key, figure);

        await using var work = scopes.ForSystem("command center figures");
        await work.Db.Database.OpenConnectionAsync(ct);
        await using var command = (NpgsqlCommand)work.Db.Database.GetDbConnection().CreateCommand();
        command.CommandText = """
            SELECT minute, name, tags, value, sum, buckets FROM metric_minutes
            WHERE minute >= @since AND node_id <> @node AND name = ANY(@names)
            """;
        command.Parameters.AddWithValue("since", since);
        command.Parameters.AddWithValue("node", node.Id);
        command.Parameters.AddWithValue("names", names.ToArray());
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            Add(r.GetFieldValue<DateTimeOffset>(0), new FigureKey(r.GetString(1), r.GetString(2)),
                new MinuteFigure { Value = r.GetDouble(3), Sum = r.GetDouble(4), Buckets = r.IsDBNull(5) ? null : r.GetFieldValue<double[]>(5) });
        return new Series(byMinute);
    }
}
