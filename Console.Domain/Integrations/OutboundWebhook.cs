using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Integrations;

/// <summary>
/// A tenant's subscription to its own events (n8n, a CRM): where to POST them, which ones, and the secret that signs
/// them. The secret is stored protected (encrypted by the caller); it is shown once, when the subscription is made.
/// </summary>
public sealed class OutboundWebhook : ITenantOwned
{
    public const int MaxUrlLength = 2000;
    public const string NotFoundCode = "webhook.not_found";

    /// <summary>The public event types, as receivers see them in <c>type</c>.</summary>
    public static readonly IReadOnlyList<string> EventTypes =
    [
        "lead.created", "lead.stage_changed", "conversation.needs_human", "conversation.resolved",
        "message.received", "appointment.booked", "appointment.cancelled", "payment.completed",
    ];

    private OutboundWebhook() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string Url { get; private set; } = "";
    public string[] Events { get; private set; } = [];
    public string ProtectedSecret { get; private set; } = "";
    public bool Active { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary><paramref name="url"/> must already have passed the network policy (the caller owns DNS and the allowlist).</summary>
    public static OutboundWebhook Create(Guid tenantId, Uri url, IEnumerable<string> events, string protectedSecret, DateTimeOffset now)
    {
        var chosen = (events ?? []).Select(e => (e ?? "").Trim().ToLowerInvariant()).Where(e => e.Length > 0).Distinct().ToArray();
        if (chosen.Length == 0) throw new DomainException("webhook.events_empty", "Choose at least one event.");
        if (chosen.FirstOrDefault(e => !EventTypes.Contains(e)) is { } unknown)
            throw new DomainException("webhook.event_unknown", $"'{unknown}' is not an event type.", unknown);
        if (url.AbsoluteUri.Length > MaxUrlLength) throw new DomainException("webhook.url_invalid", "The URL is too long.");
        return new OutboundWebhook
        {
            Id = Guid.CreateVersion7(now), TenantId = tenantId, Url = url.AbsoluteUri,
            // Stored in the public order, so lists and payload filters read the same everywhere.
            Events = EventTypes.Where(chosen.Contains).ToArray(),
            ProtectedSecret = protectedSecret, Active = true, CreatedAt = now,
        };
    }

    public void Pause() => Active = false;

    public void Activate() => Active = true;
}

public enum OutboundDeliveryStatus { Pending, Delivered, Failed }

/// <summary>
/// One event as it leaves: the exact JSON body every subscription receives (<c>{id, type, createdAt, tenantId, data}</c>),
/// written in the same transaction as the change it describes.
/// </summary>
public sealed class OutboundWebhookEvent : ITenantOwned
{
    private OutboundWebhookEvent() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string Type { get; private set; } = "";
    public string Body { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }

    public static OutboundWebhookEvent Create(Guid id, Guid tenantId, string type, string body, DateTimeOffset now) =>
        new() { Id = id, TenantId = tenantId, Type = type, Body = body, CreatedAt = now };
}

/// <summary>
/// One event on its way to one subscription: retried with backoff until delivered or <see cref="GiveUpAt"/> passes,
/// then Failed (a replay starts it over). <see cref="NextAttemptAt"/> doubles as the lease of the worker sending it:
/// a worker that dies leaves it due again when its lease runs out.
/// </summary>
public sealed class OutboundWebhookDelivery : ITenantOwned
{
    public const int MaxResponseChars = 1024;
    public const string NotFoundCode = "webhook.delivery_not_found";

    private OutboundWebhookDelivery() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid WebhookId { get; private set; }
    public Guid EventId { get; private set; }
    public string EventType { get; private set; } = "";
    public OutboundDeliveryStatus Status { get; private set; }
    public int Attempts { get; private set; }
    public DateTimeOffset NextAttemptAt { get; private set; }
    public DateTimeOffset GiveUpAt { get; private set; }
    public int? ResponseStatus { get; private set; }

    /// <summary>The first kilobyte of the receiver's answer, or why there was none (timeout, refused address).</summary>
    public string? Response { get; private set; }
    public DateTimeOffset? LastAttemptAt { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static OutboundWebhookDelivery Create(Guid tenantId, Guid webhookId, OutboundWebhookEvent evt, DateTimeOffset now, TimeSpan retryFor) => new()
    {
        Id = Guid.CreateVersion7(now), TenantId = tenantId, WebhookId = webhookId, EventId = evt.Id, EventType = evt.Type,
        Status = OutboundDeliveryStatus.Pending, NextAttemptAt = now, GiveUpAt = now + retryFor, CreatedAt = now,
    };

    /// <summary>A worker took it: nobody else sends it before <paramref name="leaseUntil"/>.</summary>
    public void Lease(DateTimeOffset leaseUntil) => NextAttemptAt = leaseUntil;

    public void Delivered(int status, string? response, DateTimeOffset now)
    {
        Record(status, response, now);
        Status = OutboundDeliveryStatus.Delivered;
    }

    /// <summary>A failed attempt: due again after <paramref name="delay"/>, or Failed when that is past <see cref="GiveUpAt"/>.</summary>
    public void AttemptFailed(int? status, string? response, DateTimeOffset now, TimeSpan delay)
    {
        Record(status, response, now);
        if (now + delay > GiveUpAt) Status = OutboundDeliveryStatus.Failed;
        else NextAttemptAt = now + delay;
    }

    /// <summary>Sends it again from now (same event id, so receivers that already have it can tell), with a new retry window.</summary>
    public void Replay(DateTimeOffset now, TimeSpan retryFor)
    {
        Status = OutboundDeliveryStatus.Pending;
        NextAttemptAt = now;
        GiveUpAt = now + retryFor;
    }

    private void Record(int? status, string? response, DateTimeOffset now)
    {
        Attempts++;
        ResponseStatus = status;
        Response = response is null ? null : response.Length > MaxResponseChars ? response[..MaxResponseChars] : response;
        LastAttemptAt = now;
    }
}
