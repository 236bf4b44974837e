using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Infrastructure.Live;

/// <summary>
/// Carries conversation changes between nodes with PostgreSQL LISTEN/NOTIFY, the engine every node already has.
/// Sending: changes published on this node are drained in bursts, duplicates coalesced, and sent as a few NOTIFYs
/// on a pooled connection. Receiving: one dedicated connection LISTENs and waits; every notification from another
/// node is handed to this node's subscribers. A lost connection is reopened with backoff; changes sent while it was
/// down are not replayed (screens catch up on the next change, and the data itself is always in the database).
/// Publish is called after the writer's commit, so a NOTIFY never announces a row others cannot see yet.
/// The same channel carries <see cref="ConversationActivity"/>'s signals (who has a conversation open, who is typing):
/// envelopes with an <c>a</c> list instead of changes.
/// </summary>
public sealed class LiveChangesRelay(
    ConversationNotifier notifier,
    ConversationActivity activity,
    IConfiguration config,
    IOptions<LiveOptions> options,
    ILogger<LiveChangesRelay> log) : BackgroundService
{
    // NOTIFY payloads must stay under 8000 bytes; one entry is about 90.
    private const int MaxPerNotify = 60;
    // An activity signal is about 180 bytes.
    private const int MaxSignalsPerNotify = 30;
    // Reconnecting the listener: 250 ms, 500 ms, 1 s … at most 15 s. Resending a burst: 200 ms, then 400 ms, then give up.
    private static readonly Backoff Reconnect = new(TimeSpan.FromMilliseconds(250), 2, TimeSpan.FromSeconds(15));
    private static readonly Backoff Resend = new(TimeSpan.FromMilliseconds(200), 2, TimeSpan.FromSeconds(1));

    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _connectionString = config.GetConnectionString("Default") ?? "";
    private readonly LiveOptions _options = options.Value;

    /// <summary>True while the LISTEN connection is up.</summary>
    public bool IsListening { get; private set; }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await base.StartAsync(cancellationToken);
        if (!_options.CrossNode) return;
        // A node that says it has started should already hear other nodes: wait (briefly) for the first LISTEN.
        try
        {
            await _listening.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (TimeoutException)
        {
            log.LogWarning("Not yet listening for other nodes' changes; carrying on and retrying in the background");
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.CrossNode) return Task.CompletedTask;
        var outbox = notifier.AttachRelay();
        var signals = activity.AttachRelay();
        return Task.WhenAll(Task.Run(() => ListenAsync(stoppingToken), stoppingToken), Task.Run(() => SendAsync(outbox, stoppingToken), stoppingToken),
            Task.Run(() => SendActivityAsync(signals, stoppingToken), stoppingToken));
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        // Not pooled: LISTEN belongs to this session, and the pool's reset would end it. Keepalives notice a peer
        // that vanished without closing the socket, which WaitAsync alone would wait on forever.
        var builder = new NpgsqlConnectionStringBuilder(_connectionString) { Pooling = false, KeepAlive = 10, ApplicationName = "console-live-listener" };
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var conn = new NpgsqlConnection(builder.ConnectionString);
                await conn.OpenAsync(ct);
                conn.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {Quote(_options.NotifyChannel)}", conn))
                    await listen.ExecuteNonQueryAsync(ct);
                IsListening = true;
                _listening.TrySetResult();
                failures = 0;
                log.LogDebug("Listening for changes from other nodes on {Channel}", _options.NotifyChannel);
                while (true) await conn.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                IsListening = false;
                var backoff = Reconnect.Delay(++failures);
                log.LogWarning(ex, "Lost the connection that listens for other nodes' changes; reconnecting in {Backoff}", backoff);
                await Task.Delay(backoff, ct).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
        IsListening = false;
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        Envelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize(e.Payload, RelayJson.Default.Envelope);
        }
        catch (JsonException ex)
        {
            log.LogWarning(ex, "Ignored a malformed change notification");
            return;
        }
        // This node already told its own subscribers when it published.
        if (envelope is null || envelope.Node == notifier.NodeId) return;
        foreach (var c in envelope.Changes ?? []) notifier.DeliverLocally(new ConversationChanged(c.Tenant, c.Conversation, c.Reason));
        foreach (var a in envelope.Activity ?? [])
            if (Enum.IsDefined(a.Kind)) activity.Receive(new ActivitySignal(a.Tenant, a.Conversation, a.Member, a.View, a.Kind), envelope.Node);
    }

    private async Task SendAsync(ChannelReader<ConversationChanged> outbox, CancellationToken ct)
    {
        var pending = new List<ConversationChanged>();
        try
        {
            while (await outbox.WaitToReadAsync(ct))
            {
                // Everything that piled up while the last NOTIFY was in flight goes out together, once per change.
                pending.Clear();
                while (pending.Count < 1000 && outbox.TryRead(out var change)) pending.Add(change);
                var distinct = pending.Distinct().ToList();
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        await NotifyAsync(distinct, ct);
                        break;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        if (attempt >= 3)
                        {
                            log.LogWarning(ex, "Could not tell other nodes about {Count} changes; their screens refresh on the next change", distinct.Count);
                            break;
                        }
                        await Task.Delay(Resend.Delay(attempt), ct);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    // Activity signals are short-lived hints: a burst goes out in one try, and a lost one is made good by the next
    // renewal (viewing) or keystroke (typing).
    private async Task SendActivityAsync(ChannelReader<ActivitySignal> signals, CancellationToken ct)
    {
        var pending = new List<ActivitySignal>();
        try
        {
            while (await signals.WaitToReadAsync(ct))
            {
                pending.Clear();
                while (pending.Count < 1000 && signals.TryRead(out var signal)) pending.Add(signal);
                try
                {
                    await SendEnvelopesAsync(pending.Distinct().Chunk(MaxSignalsPerNotify).Select(chunk => new Envelope(notifier.NodeId, null,
                        chunk.Select(s => new Signal(s.TenantId, s.ConversationId, s.MemberId, s.View, s.Kind)).ToArray())), ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.LogDebug(ex, "Could not tell other nodes who is viewing or typing; the next renewal will");
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private Task NotifyAsync(List<ConversationChanged> changes, CancellationToken ct) =>
        SendEnvelopesAsync(changes.Chunk(MaxPerNotify).Select(chunk =>
            new Envelope(notifier.NodeId, chunk.Select(c => new Change(c.TenantId, c.ConversationId, Trim(c.Reason))).ToArray())), ct);

    private async Task SendEnvelopesAsync(IEnumerable<Envelope> envelopes, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(_connectionString);
        await conn.OpenAsync(ct);
        await using var batch = new NpgsqlBatch(conn);
        foreach (var envelope in envelopes)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_notify($1, $2)")
            {
                Parameters =
                {
                    new NpgsqlParameter { Value = _options.NotifyChannel },
                    new NpgsqlParameter { Value = JsonSerializer.Serialize(envelope, RelayJson.Default.Envelope) },
                },
            });
        }
        await batch.ExecuteNonQueryAsync(ct);
    }

    private static string Trim(string reason) => reason.Length > 40 ? reason[..40] : reason;

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    internal sealed record Envelope(
        [property: JsonPropertyName("n")] Guid Node,
        [property: JsonPropertyName("c")] Change[]? Changes,
        [property: JsonPropertyName("a"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Signal[]? Activity = null);

    internal sealed record Change(
        [property: JsonPropertyName("t")] Guid Tenant,
        [property: JsonPropertyName("v")] Guid Conversation,
        [property: JsonPropertyName("r")] string Reason);

    internal sealed record Signal(
        [property: JsonPropertyName("t")] Guid Tenant,
        [property: JsonPropertyName("v")] Guid Conversation,
        [property: JsonPropertyName("m")] Guid Member,
        [property: JsonPropertyName("s")] Guid View,
        [property: JsonPropertyName("k")] ActivityKind Kind);
}

[JsonSerializable(typeof(LiveChangesRelay.Envelope))]
internal sealed partial class RelayJson : JsonSerializerContext;
