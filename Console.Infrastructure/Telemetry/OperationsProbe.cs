using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Integrations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Telemetry;

/// <summary>The backlog queues, as tagged on <c>console.backlog</c>.</summary>
public static class Queues
{
    public const string WebhookInbox = "webhook_inbox", AgentTurns = "agent_turns", Sends = "sends", OutboundWebhooks = "outbound_webhooks",
        JobsDue = "jobs_due", JobsMisfired = "jobs_misfired";

    public static readonly IReadOnlyList<string> All = [WebhookInbox, AgentTurns, Sends, OutboundWebhooks, JobsDue, JobsMisfired];
}

/// <summary>What the database says right now: backlogs, conversations waiting for a person, its own health, the nodes.</summary>
public sealed record OperationsSnapshot(
    DateTimeOffset At,
    IReadOnlyDictionary<string, long> Backlog,
    long NeedsHuman,
    TimeSpan? OldestWaiting,
    int Connections,
    long DatabaseBytes,
    TimeSpan? LongestTransaction,
    IReadOnlyList<ClusterNode> Nodes,
    IReadOnlyList<SystemEvent> Notable);

/// <summary>
/// One set of cheap queries (each on an index or a small catalog view) for the whole dashboard, shared by every open
/// dashboard of this node for <see cref="CacheFor"/>; the backlog also feeds the <c>console.backlog</c> gauge.
/// </summary>
public sealed class OperationsProbe(ContextScopes scopes, ConsoleTelemetry telemetry, TimeProvider clock, IOptions<NodeOptions> nodes)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1.5);

    /// <summary>Quartz's default misfire threshold: a trigger this late has misfired.</summary>
    private static readonly TimeSpan MisfireAfter = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private OperationsSnapshot? _last;
    private long _lastAt;

    private static readonly string Sql = $$"""
        SELECT
          (SELECT count(*) FROM webhook_deliveries WHERE state = '{{nameof(DeliveryState.Pending)}}'),
          (SELECT count(*) FROM conversations WHERE agent_due_at IS NOT NULL AND agent_due_at <= @now),
          (SELECT count(*) FROM messages WHERE direction = '{{nameof(MessageDirection.Outbound)}}' AND status = '{{nameof(DeliveryStatus.Queued)}}' AND external_id IS NULL),
          (SELECT count(*) FROM outbound_webhook_deliveries WHERE status = '{{nameof(OutboundDeliveryStatus.Pending)}}'),
          (SELECT count(*) FROM quartz.qrtz_triggers WHERE trigger_state = 'WAITING' AND next_fire_time <= @nowTicks),
          (SELECT count(*) FROM quartz.qrtz_triggers WHERE trigger_state = 'WAITING' AND next_fire_time <= @misfireTicks),
          (SELECT count(*) FROM conversations WHERE status <> '{{nameof(ConversationStatus.Resolved)}}'
             AND (owner = '{{nameof(ConversationOwner.Unassigned)}}' OR sla_due_at IS NOT NULL)),
          (SELECT min(last_message_at) FROM conversations WHERE status <> '{{nameof(ConversationStatus.Resolved)}}'
             AND (owner = '{{nameof(ConversationOwner.Unassigned)}}' OR sla_due_at IS NOT NULL)),
          (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()),
          pg_database_size(current_database()),
          (SELECT extract(epoch FROM clock_timestamp() - min(xact_start))::float8 FROM pg_stat_activity
             WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid());
        SELECT node_id, host, version, started_at, heartbeat_at, circuits, cpu_percent, working_set_bytes FROM cluster_nodes ORDER BY started_at, node_id;
        """;

    public async Task<OperationsSnapshot> ReadAsync(CancellationToken ct = default)
    {
        // Cached on the wall clock (a test's fake clock may stand still while it polls).
        if (_last is { } cached && Stopwatch.GetElapsedTime(_lastAt) < CacheFor) return cached;
        await _gate.WaitAsync(ct);
        try
        {
            if (_last is { } again && Stopwatch.GetElapsedTime(_lastAt) < CacheFor) return again;
            _last = await QueryAsync(ct);
            _lastAt = Stopwatch.GetTimestamp();
            telemetry.ReportBacklog(_last.Backlog);
            return _last;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<OperationsSnapshot> QueryAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var work = scopes.ForSystem("command center dashboard");
        await work.Db.Database.OpenConnectionAsync(ct);
        await using var command = (NpgsqlCommand)work.Db.Database.GetDbConnection().CreateCommand();
        command.CommandText = Sql;
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("nowTicks", now.UtcTicks);
        command.Parameters.AddWithValue("misfireTicks", (now - MisfireAfter).UtcTicks);
        var backlog = new Dictionary<string, long>();
        long needsHuman;
        TimeSpan? oldest, longest;
        int connections;
        long size;
        var list = new List<ClusterNode>();
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            for (var i = 0; i < Queues.All.Count; i++) backlog[Queues.All[i]] = r.GetInt64(i);
            needsHuman = r.GetInt64(6);
            oldest = r.IsDBNull(7) ? null : now - r.GetFieldValue<DateTimeOffset>(7);
            connections = (int)r.GetInt64(8);
            size = r.GetInt64(9);
            longest = r.IsDBNull(10) ? null : TimeSpan.FromSeconds(r.GetDouble(10));
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var heartbeat = r.GetFieldValue<DateTimeOffset>(4);
                list.Add(new ClusterNode(r.GetString(0), r.GetString(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3), heartbeat,
                    r.GetInt32(5), r.GetDouble(6), r.GetInt64(7), now - heartbeat > nodes.Value.DownAfter));
            }
        }
        var notable = await work.Db.SystemEvents.AsNoTracking()
            .Where(e => e.Severity == Severity.Warning || e.Severity == Severity.Error || e.Severity == Severity.Critical)
            .OrderByDescending(e => e.CreatedAt).Take(8).ToListAsync(ct);
        return new OperationsSnapshot(now, backlog, needsHuman, oldest, connections, size, longest, list, notable);
    }
}
