using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Channels;

public enum DeliveryState { Pending, Processed, Unroutable, Failed }

/// <summary>
/// One raw webhook delivery, stored before it is acknowledged: a 200 means this row is durable. The processor
/// applies it later (any node, after any crash); an unparseable or failing one stays here for a super admin to
/// replay after a fix, and one for a number nobody has connected waits until someone does.
/// </summary>
public sealed class WebhookDelivery
{
    public const int MaxAttempts = 8;

    private WebhookDelivery() { }

    public Guid Id { get; private set; }

    /// <summary>whatsapp, messenger, instagram or tiktok.</summary>
    public string Source { get; private set; } = "";

    /// <summary>The tenant whose own endpoint received it (/webhooks/{kind}/{slug}); null for the platform endpoints.</summary>
    public Guid? RouteTenantId { get; private set; }
    public byte[] Body { get; private set; } = [];

    /// <summary>SHA-256 of the body: identical retries of one delivery are stored once.</summary>
    public string BodyHash { get; private set; } = "";
    public DeliveryState State { get; private set; }
    public int Attempts { get; private set; }
    public string? LastError { get; private set; }

    /// <summary>Channel external ids in this delivery that no tenant has connected (yet).</summary>
    public string[] UnroutableIds { get; private set; } = [];
    public DateTimeOffset ReceivedAt { get; private set; }
    public DateTimeOffset? NextAttemptAt { get; private set; }
    public DateTimeOffset? ProcessedAt { get; private set; }

    public static WebhookDelivery Receive(string source, Guid? routeTenantId, byte[] body, string bodyHash, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        Source = source,
        RouteTenantId = routeTenantId,
        Body = body,
        BodyHash = bodyHash,
        State = DeliveryState.Pending,
        ReceivedAt = now,
        NextAttemptAt = now,
    };

    /// <summary>Signed but not understood: kept for replay, never processed automatically.</summary>
    public void MarkUnparseable(string error)
    {
        State = DeliveryState.Failed;
        LastError = error;
        NextAttemptAt = null;
    }

    public void MarkProcessed(IReadOnlyCollection<string> unroutableIds, DateTimeOffset now)
    {
        Attempts++;
        ProcessedAt = now;
        NextAttemptAt = null;
        LastError = null;
        UnroutableIds = [.. unroutableIds];
        State = unroutableIds.Count > 0 ? DeliveryState.Unroutable : DeliveryState.Processed;
    }

    /// <summary>Processing failed: retry with exponential backoff, then park it as Failed with its reason.</summary>
    public void MarkAttemptFailed(string error, DateTimeOffset now, TimeSpan? retryIn = null)
    {
        Attempts++;
        LastError = error.Length > 2000 ? error[..2000] : error;
        if (Attempts >= MaxAttempts)
        {
            State = DeliveryState.Failed;
            NextAttemptAt = null;
            return;
        }
        State = DeliveryState.Pending;
        NextAttemptAt = now + (retryIn ?? Backoff.WebhookDelivery.Delay(Attempts));
    }

    /// <summary>A super admin's replay after a fix, or a newly connected number: process it again from scratch.</summary>
    public void Requeue(DateTimeOffset now)
    {
        State = DeliveryState.Pending;
        Attempts = 0;
        NextAttemptAt = now;
    }
}
