using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Revenue;

// What happens on the revenue side (leads, payments, bookings), raised by whoever makes the change — the agent's tools,
// an operator's screen, the API, an import or a payment provider's webhook. Listeners (live screens, outbound webhooks
// to the tenant's other systems) react after the write commits; the payload carries what a receiver needs without
// reading our database, so names travel with ids.

/// <summary>A new lead (contact) was created: by a first message, the API, or an import.</summary>
public sealed record LeadCreated(Guid TenantId, Guid ContactId, string Source) : IDomainEvent;

/// <summary>
/// A lead moved from one pipeline stage to another. <see cref="ChangedBy"/> says who or what moved it ("agent",
/// "api", "payment", "import", or a member's display name); <see cref="Reason"/> why, when known.
/// </summary>
public sealed record LeadStageChanged(Guid TenantId, Guid ContactId, Guid? ConversationId, Guid? FromStageId, string? FromStage,
    Guid ToStageId, string ToStage, string ToStageKind, string ChangedBy, string? Reason) : IDomainEvent;

/// <summary>A payment was asked for, or its status or voucher changed: for the screens that list payments.</summary>
public sealed record PaymentChanged(Guid TenantId, Guid PaymentId, Guid? ConversationId, string Status) : IDomainEvent;

/// <summary>A payment was confirmed (by the provider's webhook or an operator checking a transfer voucher).</summary>
public sealed record PaymentCompleted(Guid TenantId, Guid PaymentId, Guid ContactId, Guid? ConversationId, Guid? ProductId,
    decimal Amount, string Currency, string Provider) : IDomainEvent;

public sealed record AppointmentBooked(Guid TenantId, Guid AppointmentId, Guid ContactId, Guid? ConversationId,
    DateTimeOffset StartsAt, DateTimeOffset EndsAt) : IDomainEvent;

public sealed record AppointmentCancelled(Guid TenantId, Guid AppointmentId, Guid ContactId, Guid? ConversationId,
    DateTimeOffset StartsAt, string CancelledBy) : IDomainEvent;

/// <summary>An active appointment got a new time (by an operator, the agent or the API); it is pending again.</summary>
public sealed record AppointmentMoved(Guid TenantId, Guid AppointmentId, Guid ContactId, Guid? ConversationId,
    DateTimeOffset FromStartsAt, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string MovedBy) : IDomainEvent;

/// <summary>
/// Confirmed, completed or no-show (cancellation has <see cref="AppointmentCancelled"/>): statuses as lowercase
/// strings (pending, confirmed, completed, no_show).
/// </summary>
public sealed record AppointmentStatusChanged(Guid TenantId, Guid AppointmentId, Guid ContactId, Guid? ConversationId,
    DateTimeOffset StartsAt, string From, string To, string ChangedBy) : IDomainEvent;
