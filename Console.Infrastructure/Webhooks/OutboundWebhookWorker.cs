using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using System.Threading.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Integrations;
using OperatorConsole.Infrastructure.Channels.Inbound;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Webhooks;

/// <summary>
/// Sends due outbound webhook deliveries, on every node. A claim (FOR UPDATE SKIP LOCKED) leases rows by moving their
/// next attempt past the lease and commits at once, so no transaction stays open while a receiver thinks; a worker that
/// dies leaves its rows due again when the lease ends. A node holds at most OutboundWebhooks:MaxInFlight claimed deliveries,
/// at most <see cref="QueuedPerSlot"/> × OutboundWebhooks:PerSubscription of one subscription, and sends at most
/// PerSubscription of them at once: a slow or dead receiver holds a few slots and nothing else (ingest never waits on
/// this: events are rows written with the change).
/// </summary>
public sealed class OutboundWebhookWorker(ContextScopes scopes, IHttpClientFactory http, SecretProtector protector, OutboundWebhookSignal signal,
    IngestPressure ingest, IOptions<OutboundWebhookOptions> options, TimeProvider clock, ILogger<OutboundWebhookWorker> log) : BackgroundService
{
    public const string HttpClientName = "outbound-webhooks";

    // {0} now, {1} saturated subscriptions, {2} limit. The claim skips subscriptions already at their limit on this node;
    // paused subscriptions keep their rows for later. The status is a literal (named from the enum) so the queue's partial
    // index matches.
    private const string ClaimFormat = $$"""
        SELECT d.* FROM outbound_webhook_deliveries d
        WHERE d.status = '{{nameof(OutboundDeliveryStatus.Pending)}}' AND d.next_attempt_at <= {0}
          AND NOT (d.webhook_id = ANY({1}))
          AND EXISTS (SELECT 1 FROM outbound_webhooks w WHERE w.id = d.webhook_id AND w.active)
        ORDER BY d.next_attempt_at LIMIT {2} FOR UPDATE SKIP LOCKED
        """;

    private static FormattableString ClaimSql(DateTimeOffset now, Guid[] saturated, int limit) =>
        SqlText.With(ClaimFormat, now, saturated, limit);

    private readonly OutboundWebhookOptions _options = options.Value;
    /// <summary>Claimed deliveries of one subscription waiting per sending slot: enough to keep a fast receiver busy between claims.</summary>
    public const int QueuedPerSlot = 8;

    private readonly ConcurrentDictionary<Guid, int> _perSubscription = new();
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _sending = new();
    private readonly Channel<OutboundWebhookDelivery> _outcomes = Channel.CreateUnbounded<OutboundWebhookDelivery>();
    private readonly ConcurrentDictionary<string, string> _secrets = new();
    private int _inFlight;

    /// <summary>
    /// The send budget while this node's webhook processing is behind: on shared cores a thousand signed requests a
    /// second took the CPU that storing customers' messages needed (docs/benchmarks.md). Refilled every 100 ms, so it
    /// never sends a burst.
    /// </summary>
    private readonly TokenBucketRateLimiter _whileBehind = WhileBehind(options.Value.PerSecondWhileIngestBehind);

    /// <summary>A tenth of a second's budget per refill (at least one send), refilled as often as that rate needs.</summary>
    private static TokenBucketRateLimiter WhileBehind(int perSecond)
    {
        var perRefill = Math.Max(1, perSecond / 10);
        return new(new TokenBucketRateLimiterOptions
        {
            TokenLimit = perRefill,
            TokensPerPeriod = perRefill,
            ReplenishmentPeriod = TimeSpan.FromSeconds(perRefill / (double)perSecond),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    private Backoff Retry => new(TimeSpan.FromSeconds(_options.RetryFirstSeconds), 2, TimeSpan.FromSeconds(_options.RetryMaxSeconds), 0.25);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.MaxInFlight == 0) return;
        var writer = WriteOutcomesAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await ClaimAndStartAsync(stoppingToken))
                    await signal.WaitAsync(TimeSpan.FromMilliseconds(_options.PollMilliseconds), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Outbound webhook claim failed; retrying shortly");
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
        _outcomes.Writer.TryComplete();
        await writer.ContinueWith(_ => { }, CancellationToken.None);
    }

    /// <summary>Claims what this node has room for and starts sending it; false when nothing was started.</summary>
    private async Task<bool> ClaimAndStartAsync(CancellationToken ct)
    {
        // While processing is behind, a second's budget is claimed at a time: a bigger queue would only wait on it.
        var limit = ingest.Behind ? Math.Min(_options.MaxInFlight, _options.PerSecondWhileIngestBehind) : _options.MaxInFlight;
        var room = limit - Volatile.Read(ref _inFlight);
        if (room <= 0) return false;
        var perSubscription = _options.PerSubscription * QueuedPerSlot;
        // A subscription is claimed for again once half its queue is free: claiming as each delivery finishes would cost a
        // transaction per delivery.
        var saturated = _perSubscription.Where(p => p.Value > perSubscription / 2).Select(p => p.Key).ToArray();
        var now = clock.GetUtcNow();
        List<(OutboundWebhookDelivery Delivery, OutboundWebhook Webhook, string Body)> started = [];
        await using (var work = scopes.ForSystem("outbound webhooks: claim"))
        {
            await using var claim = await work.Db.ClaimAsync<OutboundWebhookDelivery>(ClaimSql(now, saturated, room), ct, track: false);
            if (claim.Rows.Count == 0) return false;
            // Rows beyond a subscription's remaining room stay unleased (the commit releases them for whoever has room).
            var taken = new List<OutboundWebhookDelivery>();
            var counts = new Dictionary<Guid, int>();
            foreach (var row in claim.Rows)
            {
                var running = _perSubscription.GetValueOrDefault(row.WebhookId) + counts.GetValueOrDefault(row.WebhookId);
                if (running >= perSubscription) continue;
                counts[row.WebhookId] = counts.GetValueOrDefault(row.WebhookId) + 1;
                row.Lease(now.AddSeconds(_options.LeaseSeconds));
                taken.Add(row);
            }
            if (taken.Count == 0) return false;
            var webhookIds = counts.Keys.ToArray();
            var eventIds = taken.Select(t => t.EventId).ToArray();
            var webhooks = await work.Db.OutboundWebhooks.AsNoTracking().Where(w => webhookIds.Contains(w.Id)).ToDictionaryAsync(w => w.Id, ct);
            var bodies = await work.Db.OutboundWebhookEvents.AsNoTracking().Where(e => eventIds.Contains(e.Id))
                .Select(e => new { e.Id, e.Body }).ToDictionaryAsync(e => e.Id, e => e.Body, ct);
            var leased = taken.Select(t => t.Id).ToArray();
            var leaseUntil = now.AddSeconds(_options.LeaseSeconds);
            await work.Db.Database.ExecuteSqlAsync(
                $"UPDATE outbound_webhook_deliveries SET next_attempt_at = {leaseUntil} WHERE id = ANY({leased})", ct);
            await claim.CommitAsync(ct);
            foreach (var row in taken) started.Add((row, webhooks[row.WebhookId], bodies[row.EventId]));
        }
        foreach (var (delivery, webhook, body) in started)
        {
            Interlocked.Increment(ref _inFlight);
            _perSubscription.AddOrUpdate(delivery.WebhookId, 1, (_, n) => n + 1);
            _ = Task.Run(() => SendAsync(delivery, webhook, body, ct), CancellationToken.None);
        }
        return true;
    }

    private async Task SendAsync(OutboundWebhookDelivery delivery, OutboundWebhook webhook, string body, CancellationToken ct)
    {
        var slots = _sending.GetOrAdd(delivery.WebhookId, _ => new SemaphoreSlim(_options.PerSubscription, _options.PerSubscription));
        var entered = false;
        try
        {
            await slots.WaitAsync(ct);
            entered = true;
            if (ingest.Behind) (await _whileBehind.AcquireAsync(1, ct)).Dispose();
            var (status, response) = await PostAsync(webhook, delivery.EventId, body, ct);
            var now = clock.GetUtcNow();
            if (status is >= 200 and < 300) delivery.Delivered(status.Value, response, now);
            else delivery.AttemptFailed(status, response, now, Retry.Delay(delivery.Attempts + 1));
            await _outcomes.Writer.WriteAsync(delivery, CancellationToken.None);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: the lease runs out and another worker (or this node after a restart) sends it.
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Outbound webhook delivery {Delivery} could not be sent", delivery.Id);
        }
        finally
        {
            if (entered) slots.Release();
            _perSubscription.AddOrUpdate(delivery.WebhookId, 0, (_, n) => Math.Max(0, n - 1));
            Interlocked.Decrement(ref _inFlight);
            signal.Notify(); // a slot is free: look for more
        }
    }

    public override void Dispose()
    {
        _whileBehind.Dispose();
        base.Dispose();
    }

    /// <summary>One attempt: the status code and the first kilobyte of the answer, or null and why there was none.</summary>
    private async Task<(int? Status, string? Response)> PostAsync(OutboundWebhook webhook, Guid eventId, string body, CancellationToken ct)
    {
        var secret = _secrets.GetOrAdd(webhook.ProtectedSecret, protector.Unprotect);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("X-Console-Event-Id", eventId.ToString());
        request.Headers.TryAddWithoutValidation("X-Console-Signature", $"t={timestamp},v1={Sign(secret, timestamp, body)}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return ((int)response.StatusCode, await ReadStartAsync(response, timeout.Token));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, $"No answer within {_options.TimeoutSeconds} s");
        }
        catch (HttpRequestException ex) when (GuardedNetwork.Blocked(ex) is { } blocked)
        {
            return (null, $"Refused: {blocked.Message}");
        }
        catch (HttpRequestException ex)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>HMAC-SHA256 of "{t}.{body}" with the subscription's secret, lowercase hex: what receivers recompute.</summary>
    public static string Sign(string secret, long timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));

    private static async Task<string> ReadStartAsync(HttpResponseMessage response, CancellationToken ct)
    {
        // Only the start is kept: a receiver answering megabytes must not cost us more than a few kilobytes.
        var buffer = new byte[OutboundWebhookDelivery.MaxResponseChars * 4];
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var read = 0;
        while (read < buffer.Length && await stream.ReadAsync(buffer.AsMemory(read), ct) is var n and > 0) read += n;
        var text = Encoding.UTF8.GetString(buffer, 0, read);
        return text.Length > OutboundWebhookDelivery.MaxResponseChars ? text[..OutboundWebhookDelivery.MaxResponseChars] : text;
    }

    /// <summary>Stores outcomes in batches (one statement for all that finished meanwhile): at 1,000 events/s a commit per delivery would not keep up.</summary>
    private async Task WriteOutcomesAsync(CancellationToken ct)
    {
        var reader = _outcomes.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            var batch = new List<OutboundWebhookDelivery>();
            while (batch.Count < 500 && reader.TryRead(out var outcome)) batch.Add(outcome);
            try
            {
                await StoreAsync(batch);
            }
            catch (Exception ex)
            {
                // The leases run out and the deliveries go again (same event id: receivers deduplicate).
                log.LogError(ex, "Outcomes of {Count} outbound webhook deliveries could not be stored", batch.Count);
                if (ct.IsCancellationRequested) return;
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            }
        }
    }

    /// <summary>The outcomes of a batch in one statement (the rows' attempts, status, answer and next attempt).</summary>
    private async Task StoreAsync(IReadOnlyList<OutboundWebhookDelivery> batch)
    {
        await using var work = scopes.ForSystem("outbound webhooks: outcomes");
        var ids = batch.Select(d => d.Id).ToArray();
        var statuses = batch.Select(d => d.Status.ToString()).ToArray();
        var attempts = batch.Select(d => d.Attempts).ToArray();
        var next = batch.Select(d => d.NextAttemptAt).ToArray();
        var codes = batch.Select(d => d.ResponseStatus).ToArray();
        var responses = batch.Select(d => d.Response).ToArray();
        var at = batch.Select(d => d.LastAttemptAt).ToArray();
        await work.Db.Database.ExecuteSqlAsync($"""
            UPDATE outbound_webhook_deliveries d
            SET status = o.status, attempts = o.attempts, next_attempt_at = o.next, response_status = o.code, response = o.response,
                last_attempt_at = o.at
            FROM unnest({ids}, {statuses}, {attempts}, {next}, {codes}, {responses}, {at}) AS o(id, status, attempts, next, code, response, at)
            WHERE d.id = o.id
            """, CancellationToken.None);
    }
}
