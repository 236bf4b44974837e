using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Billing;

/// <summary>What paid for an AI reply: the plan's allowance, a prepaid credit, or nothing because the plan is unlimited.</summary>
public enum ReplyFunding { Plan, Credit, Unlimited }

/// <summary>
/// One AI reply the bot sent (an answered agent turn), written in the turn's commit transaction. Meters count these
/// rows, so usage cannot drift from what was sent; <see cref="TurnKey"/> (the turn's lease) is unique, so a turn
/// counts once even when two nodes race.
/// </summary>
public sealed class AiReplyUsage : ITenantOwned
{
    private AiReplyUsage() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid ConversationId { get; private set; }
    public Guid TurnKey { get; private set; }
    public ReplyFunding FundedBy { get; private set; }
    public DateTimeOffset OccurredAt { get; private set; }

    public static AiReplyUsage Record(Guid tenantId, Guid conversationId, Guid turnKey, ReplyFunding fundedBy, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        TenantId = tenantId,
        ConversationId = conversationId,
        TurnKey = turnKey,
        FundedBy = fundedBy,
        OccurredAt = now,
    };
}

public enum CreditEntryKind { Grant, Consume, Expire, Refund }

/// <summary>
/// A row of the prepaid-credit ledger: grants are positive, consumption and expiry negative, refunds take back an
/// unused grant. The balance is the sum of the rows, never a stored counter. <see cref="Reference"/> is unique per
/// kind (the Checkout Session of a purchase, the usage row of a consumption, the grant an expiry closes), so a
/// retried webhook or job cannot write the same movement twice.
/// </summary>
public sealed class CreditEntry : ITenantOwned
{
    private CreditEntry() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public CreditEntryKind Kind { get; private set; }
    public int Replies { get; private set; }
    public string Reference { get; private set; } = "";
    /// <summary>For grants: when what is left of it expires (null = never).</summary>
    public DateTimeOffset? ExpiresAt { get; private set; }
    public string Actor { get; private set; } = "";
    public string? Note { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static CreditEntry Grant(Guid tenantId, int replies, string reference, DateTimeOffset? expiresAt, string actor, string? note, DateTimeOffset now) =>
        replies <= 0 ? throw new DomainException("credits.amount", "A grant adds at least one reply.")
            : New(tenantId, CreditEntryKind.Grant, replies, reference, expiresAt, actor, note, now);

    public static CreditEntry Consume(Guid tenantId, string reference, DateTimeOffset now) =>
        New(tenantId, CreditEntryKind.Consume, -1, reference, null, "agent", null, now);

    public static CreditEntry Expire(Guid tenantId, int replies, string grantReference, DateTimeOffset now) =>
        New(tenantId, CreditEntryKind.Expire, -Math.Abs(replies), grantReference, null, "system", null, now);

    public static CreditEntry Refund(Guid tenantId, int replies, string reference, string actor, string? note, DateTimeOffset now) =>
        New(tenantId, CreditEntryKind.Refund, -Math.Abs(replies), reference, null, actor, note, now);

    private static CreditEntry New(Guid tenantId, CreditEntryKind kind, int replies, string reference, DateTimeOffset? expiresAt, string actor,
        string? note, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(reference)) throw new DomainException("credits.reference", "A credit movement names what it is about.");
        return new CreditEntry
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Kind = kind,
            Replies = replies,
            Reference = reference.Trim(),
            ExpiresAt = expiresAt,
            Actor = actor,
            Note = string.IsNullOrWhiteSpace(note) ? null : note.Trim(),
            CreatedAt = now,
        };
    }
}

/// <summary>
/// A billing message sent once (an 80 % usage warning for a day or month, a trial reminder, a trial-ended notice):
/// the key (tenant, kind, period) is unique, so jobs on two nodes or a retry never send it twice.
/// </summary>
public sealed class BillingNotice : ITenantOwned
{
    private BillingNotice() { }

    public Guid TenantId { get; private set; }
    public string Kind { get; private set; } = "";
    public string Period { get; private set; } = "";
    public DateTimeOffset SentAt { get; private set; }

    public static BillingNotice Create(Guid tenantId, string kind, string period, DateTimeOffset now) =>
        new() { TenantId = tenantId, Kind = kind, Period = period, SentAt = now };
}

/// <summary>A platform Stripe event applied once (its id is the key; the receipt commits with its effects).</summary>
public sealed class PlatformStripeEvent
{
    private PlatformStripeEvent() { }

    public string EventId { get; private set; } = "";
    public string Type { get; private set; } = "";
    public Guid? TenantId { get; private set; }
    public DateTimeOffset ReceivedAt { get; private set; }
}
