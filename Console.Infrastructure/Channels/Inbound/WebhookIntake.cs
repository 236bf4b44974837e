using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

public enum IntakeResult { Accepted, Duplicate, BadSignature, Unparseable, UnknownSource, Unavailable }

/// <summary>Webhook intake and processing. Keys: Webhooks:*.</summary>
public sealed class WebhookOptions
{
    /// <summary>Largest accepted body (Meta's can reach a few MB).</summary>
    [Range(1, 1L << 40)] public long MaxBodyBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>
    /// Concurrent delivery processors per node. Two keep up with a flood on two cores while leaving the CPU to the
    /// requests Meta is waiting on (docs/benchmarks.md); more mostly add lock conflicts between batches. 0: this node
    /// only receives, another processes.
    /// </summary>
    [Range(0, 1024)] public int Workers { get; set; } = 2;

    /// <summary>
    /// Group-commit writers of the intake per node: each writes in one statement whatever arrived while its previous
    /// commit ran, so two let PostgreSQL work on one commit while the next is being sent.
    /// </summary>
    [Range(1, 64)] public int IntakeWriters { get; set; } = 2;

    /// <summary>Deliveries a processor claims and applies in one transaction (reads and writes are set-based per batch).</summary>
    [Range(1, 10000)] public int BatchSize { get; set; } = 100;

    /// <summary>
    /// A delivery that waited this long to be processed means this node's processing is behind: outbound webhook
    /// deliveries then slow to OutboundWebhooks:PerSecondWhileIngestBehind until it catches up (<see cref="IngestPressure"/>).
    /// </summary>
    [Range(1, 600000)] public int BehindMilliseconds { get; set; } = 250;

    /// <summary>TikTok signature timestamps further than this from now are refused (replay protection).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ParseLimitsInInvariantCulture = true)] public TimeSpan TikTokTolerance { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Wakes the inbox workers as soon as a delivery is stored (they also poll, for other nodes' rows).</summary>
public sealed class InboxSignal
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    public void Notify() => _signal.Release();

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}

/// <summary>
/// The request side of a webhook: verify the signature on the raw bytes, check the body parses, store it durably,
/// answer. Processing happens in <see cref="WebhookProcessor"/>, so the answer is fast and a processing bug can
/// never lose an acknowledged delivery.
/// </summary>
public sealed class WebhookIntake(
    ContextScopes scopes,
    SecretProtector protector,
    IOptionsMonitor<MetaOptions> meta,
    IOptionsMonitor<TikTokOptions> tiktok,
    IOptionsMonitor<WebhookOptions> options,
    WebhookInbox inbox,
    InboxSignal signal,
    TimeProvider clock,
    Telemetry.ConsoleTelemetry telemetry,
    ILogger<WebhookIntake> log)
{
    /// <summary>
    /// Receives one delivery inside a <c>webhook.ingest</c> span and counts it (<c>console.webhook.deliveries</c>
    /// {channel, result}) with its duration (the dashboard's ingest p95).
    /// </summary>
    public async Task<IntakeResult> ReceiveAsync(string source, string? tenantSlug, byte[] body, string? signatureHeader, CancellationToken ct)
    {
        if (!InboundParsers.Sources.TryGetValue(source, out _)) return IntakeResult.UnknownSource;
        using var activity = Telemetry.ConsoleTelemetry.Source.StartActivity("webhook.ingest", System.Diagnostics.ActivityKind.Server);
        activity?.SetTag("console.channel", source);
        var started = clock.GetTimestamp();
        var result = await IntakeAsync(source, tenantSlug, body, signatureHeader, ct);
        var outcome = ResultTag(result);
        activity?.SetTag("console.webhook.result", outcome);
        if (result == IntakeResult.Unavailable) activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error);
        telemetry.WebhookReceived(source, outcome, clock.GetElapsedTime(started));
        return result;
    }

    /// <summary>The result tag: accepted, duplicate, bad_signature, unparseable, unavailable.</summary>
    public static string ResultTag(IntakeResult result) => result switch
    {
        IntakeResult.BadSignature => "bad_signature",
        IntakeResult.UnknownSource => "unknown_source",
        _ => result.ToString().ToLowerInvariant(),
    };

    private async Task<IntakeResult> IntakeAsync(string source, string? tenantSlug, byte[] body, string? signatureHeader, CancellationToken ct)
    {
        var kind = InboundParsers.Sources[source];
        var now = clock.GetUtcNow();
        try
        {
            Guid? routeTenant = null;
            IEnumerable<string?> secrets;
            if (tenantSlug is null)
            {
                secrets = [kind == ChannelKind.TikTok ? tiktok.CurrentValue.ClientSecret : meta.CurrentValue.AppSecret];
            }
            else
            {
                var own = await TenantSecretsAsync(tenantSlug, kind, s => s.AppSecret, ct);
                if (own is null) return IntakeResult.BadSignature;
                (routeTenant, secrets) = own.Value;
            }
            if (!secrets.Any(secret => IsSigned(kind, body, signatureHeader, secret, now))) return IntakeResult.BadSignature;

            string? parseError = null;
            try
            {
                InboundParsers.Parse(source, body);
            }
            catch (WebhookFormatException ex)
            {
                parseError = ex.Message;
            }

            var hash = Convert.ToHexStringLower(SHA256.HashData(body));
            var stored = await StoreAsync(source, routeTenant, body, hash, parseError, now);
            if (parseError is not null)
            {
                log.LogWarning("Signed {Source} webhook could not be parsed: {Error}", source, parseError);
                return IntakeResult.Unparseable;
            }
            if (!stored) return IntakeResult.Duplicate;
            signal.Notify();
            return IntakeResult.Accepted;
        }
        catch (Exception ex) when (IsDatabaseDown(ex))
        {
            log.LogError(ex, "Database unavailable while receiving a {Source} webhook", source);
            return IntakeResult.Unavailable;
        }
    }

    /// <summary>GET handshake: the platform verify token, or any of the tenant's channels' own verify tokens.</summary>
    public async Task<bool> VerifyHandshakeAsync(string source, string? tenantSlug, string? mode, string? token, CancellationToken ct)
    {
        if (mode != "subscribe" || string.IsNullOrEmpty(token) || !InboundParsers.Sources.TryGetValue(source, out var kind)) return false;
        IEnumerable<string?> expected;
        if (tenantSlug is null) expected = [meta.CurrentValue.VerifyToken];
        else expected = (await TenantSecretsAsync(tenantSlug, kind, s => s.VerifyToken, ct))?.Secrets ?? [];
        var given = Encoding.UTF8.GetBytes(token);
        return expected.Any(e => !string.IsNullOrEmpty(e) && CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(e)));
    }

    private bool IsSigned(ChannelKind kind, byte[] body, string? header, string? secret, DateTimeOffset now) =>
        kind == ChannelKind.TikTok
            ? WebhookSignatures.IsValidTikTok(body, header, secret, now, options.CurrentValue.TikTokTolerance)
            : WebhookSignatures.IsValidMeta(body, header, secret);

    private async Task<(Guid? TenantId, IEnumerable<string?> Secrets)?> TenantSecretsAsync(string slug, ChannelKind kind,
        Func<ChannelSecrets, string?> pick, CancellationToken ct)
    {
        await using var work = scopes.ForSystem("tenant webhook secrets");
        var tenantId = await work.Db.Tenants.Where(t => t.Slug == slug).Select(t => (Guid?)t.Id).SingleOrDefaultAsync(ct);
        if (tenantId is null) return null;
        var channels = await work.Db.Channels.AsNoTracking().Where(c => c.TenantId == tenantId && c.Kind == kind).ToListAsync(ct);
        return (tenantId, channels.Select(c => pick(protector.Reveal(c))).ToList());
    }

    /// <summary>Queues the row for the next group commit and waits for it; false when an identical delivery was already stored.</summary>
    private Task<bool> StoreAsync(string source, Guid? routeTenant, byte[] body, string hash, string? parseError, DateTimeOffset now)
    {
        var state = parseError is null ? nameof(DeliveryState.Pending) : nameof(DeliveryState.Failed);
        var nextAttempt = parseError is null ? now : (DateTimeOffset?)null;
        // The ingest span (when traces are recorded) goes with the row, so its processing can link back to it.
        var trace = System.Diagnostics.Activity.Current is { Recorded: true, Source.Name: Telemetry.ConsoleTelemetry.Name } span ? span.Id : null;
        return inbox.StoreAsync(new InboxRow(Guid.CreateVersion7(now), source, routeTenant, body, hash, state, parseError, now, nextAttempt, trace));
    }

    private static bool IsDatabaseDown(Exception ex) => Data.DbErrors.IsDatabaseDown(ex) || ex is ChannelClosedException;
}
