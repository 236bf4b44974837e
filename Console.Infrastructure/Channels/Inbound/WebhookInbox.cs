using System.Data;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

/// <summary>One delivery as the intake stores it.</summary>
public sealed record InboxRow(Guid Id, string Source, Guid? RouteTenantId, byte[] Body, string BodyHash, string State, string? LastError,
    DateTimeOffset ReceivedAt, DateTimeOffset? NextAttemptAt, string? TraceParent = null);

/// <summary>
/// Stores accepted deliveries in group commits. The rows of requests arriving together go to PostgreSQL as one
/// INSERT … SELECT FROM unnest(…) in one transaction, and each request is answered when the commit holding its row has
/// returned, so a 200 still means durable. Nothing waits to fill a batch: a writer takes whatever queued while its
/// previous commit ran, so a lone delivery is written at once and a flood shares round trips and WAL flushes
/// (docs/benchmarks.md). Identical re-deliveries hit the unique (source, body hash) index and store nothing, also when
/// both copies are in the same batch. Every group takes that index's keys in the same order, so two groups holding a
/// delivery and its retry wait for each other in turn, never in a cycle (a deadlock would answer 503); of two copies in
/// one group the first received is stored.
/// </summary>
public sealed class WebhookInbox : IAsyncDisposable
{
    /// <summary>Rows and body bytes one commit carries at most (Meta's bodies can reach several MB).</summary>
    private const int MaxRows = 256;
    private const long MaxBytes = 16 * 1024 * 1024;

    private const string InsertSql = """
        INSERT INTO webhook_deliveries (id, source, route_tenant_id, body, body_hash, state, attempts, last_error, unroutable_ids, received_at, next_attempt_at, trace_parent)
        SELECT r.id, r.source, r.route_tenant_id, r.body, r.body_hash, r.state, 0, r.last_error, '{}', r.received_at, r.next_attempt_at, r.trace_parent
        FROM unnest(@id, @source, @route_tenant_id, @body, @body_hash, @state, @last_error, @received_at, @next_attempt_at, @trace_parent)
            AS r(id, source, route_tenant_id, body, body_hash, state, last_error, received_at, next_attempt_at, trace_parent)
        ORDER BY r.source COLLATE "C", r.body_hash COLLATE "C", r.id
        ON CONFLICT (source, body_hash) DO NOTHING
        RETURNING id
        """;

    private sealed record Pending(InboxRow Row)
    {
        public TaskCompletionSource<bool> Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private readonly ContextScopes _scopes;
    private readonly ILogger<WebhookInbox> _log;
    private readonly Task[] _writers;

    public WebhookInbox(ContextScopes scopes, IOptions<WebhookOptions> options, ILogger<WebhookInbox> log)
    {
        _scopes = scopes;
        _log = log;
        _writers = Enumerable.Range(0, Math.Max(1, options.Value.IntakeWriters)).Select(_ => Task.Run(WriteLoopAsync)).ToArray();
    }

    /// <summary>
    /// True when the row was stored, false when an identical delivery already was. Completes after the commit; throws
    /// what the database threw, or <see cref="ChannelClosedException"/> once the node is shutting down.
    /// </summary>
    public Task<bool> StoreAsync(InboxRow row)
    {
        var pending = new Pending(row);
        if (!_queue.Writer.TryWrite(pending)) throw new ChannelClosedException("The webhook inbox is shutting down.");
        return pending.Stored.Task;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            long bytes = 0;
            while (batch.Count < MaxRows && bytes < MaxBytes && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
                bytes += pending.Row.Body.Length;
            }
            if (batch.Count > 0) await WriteAsync(batch);
        }
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        try
        {
            var stored = await InsertAsync(batch);
            foreach (var pending in batch) pending.Stored.TrySetResult(stored.Contains(pending.Row.Id));
        }
        catch (Exception ex) when (batch.Count > 1 && !Data.DbErrors.IsDatabaseDown(ex))
        {
            // A row the database refuses must not cost the others their answer: write them one by one.
            _log.LogWarning(ex, "A group of {Count} webhook deliveries was refused; storing them one by one", batch.Count);
            foreach (var pending in batch) await WriteAsync([pending]);
        }
        catch (Exception ex)
        {
            foreach (var pending in batch) pending.Stored.TrySetException(ex);
        }
    }

    private async Task<HashSet<Guid>> InsertAsync(List<Pending> batch)
    {
        await using var work = _scopes.ForSystem("webhook intake");
        await work.Db.Database.OpenConnectionAsync();
        await using var command = (NpgsqlCommand)work.Db.Database.GetDbConnection().CreateCommand();
        command.CommandText = InsertSql;
        var rows = batch.Select(p => p.Row).ToList();
        command.Parameters.Add(ArrayParameter("id", NpgsqlDbType.Uuid, rows.Select(r => r.Id)));
        command.Parameters.Add(ArrayParameter("source", NpgsqlDbType.Text, rows.Select(r => r.Source)));
        command.Parameters.Add(ArrayParameter("route_tenant_id", NpgsqlDbType.Uuid, rows.Select(r => r.RouteTenantId)));
        command.Parameters.Add(ArrayParameter("body", NpgsqlDbType.Bytea, rows.Select(r => r.Body)));
        command.Parameters.Add(ArrayParameter("body_hash", NpgsqlDbType.Text, rows.Select(r => r.BodyHash)));
        command.Parameters.Add(ArrayParameter("state", NpgsqlDbType.Text, rows.Select(r => r.State)));
        command.Parameters.Add(ArrayParameter("last_error", NpgsqlDbType.Text, rows.Select(r => r.LastError)));
        command.Parameters.Add(ArrayParameter("received_at", NpgsqlDbType.TimestampTz, rows.Select(r => r.ReceivedAt)));
        command.Parameters.Add(ArrayParameter("next_attempt_at", NpgsqlDbType.TimestampTz, rows.Select(r => r.NextAttemptAt)));
        command.Parameters.Add(ArrayParameter("trace_parent", NpgsqlDbType.Text, rows.Select(r => r.TraceParent)));
        var stored = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleResult);
        while (await reader.ReadAsync()) stored.Add(reader.GetGuid(0));
        return stored;
    }

    private static NpgsqlParameter ArrayParameter<T>(string name, NpgsqlDbType type, IEnumerable<T> values) =>
        new(name, NpgsqlDbType.Array | type) { Value = values.ToArray() };

    /// <summary>Writes what is queued, then stops (after the server has stopped taking requests).</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }
}
