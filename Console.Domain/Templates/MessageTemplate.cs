using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Templates;

public enum TemplateCategory { Marketing, Utility, Authentication }

/// <summary>Meta's review states; <see cref="Deleted"/> = gone from the WABA (kept so history still names it).</summary>
public enum TemplateStatus { Pending, Approved, Rejected, Paused, Disabled, InAppeal, PendingDeletion, LimitExceeded, Deleted, Unknown }

/// <summary>
/// A WhatsApp message template of one channel's WABA, as Meta last reported it (sync, create or the status webhook).
/// Only approved templates may be sent outside the customer window.
/// </summary>
public sealed class MessageTemplate : ITenantOwned
{
    private MessageTemplate() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid ChannelId { get; private set; }
    public string Name { get; private set; } = "";
    public string Language { get; private set; } = "";
    public TemplateCategory Category { get; private set; }
    public TemplateStatus Status { get; private set; }

    /// <summary>Meta's components array as JSON (HEADER, BODY, FOOTER, BUTTONS).</summary>
    public string ComponentsJson { get; private set; } = "[]";
    public string? RejectionReason { get; private set; }

    /// <summary>Meta's template id (message_template_id in webhooks).</summary>
    public string? ProviderId { get; private set; }
    public DateTimeOffset SyncedAt { get; private set; }

    public static MessageTemplate Record(Guid tenantId, Guid channelId, string name, string language, TemplateCategory category,
        TemplateStatus status, string componentsJson, string? providerId, string? rejectionReason, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        TenantId = tenantId,
        ChannelId = channelId,
        Name = name,
        Language = language,
        Category = category,
        Status = status,
        ComponentsJson = componentsJson,
        ProviderId = providerId,
        RejectionReason = ReasonFor(status, rejectionReason),
        SyncedAt = now,
    };

    /// <summary>Meta sends "NONE" (or nothing) when there is no reason; a reason only means something for a refusal.</summary>
    private static string? ReasonFor(TemplateStatus status, string? reason) =>
        status is TemplateStatus.Rejected or TemplateStatus.Paused or TemplateStatus.Disabled
        && !string.IsNullOrWhiteSpace(reason) && !string.Equals(reason.Trim(), "NONE", StringComparison.OrdinalIgnoreCase) ? reason.Trim() : null;

    /// <summary>What Meta lists now replaces what we knew (the list is the source of truth).</summary>
    public void Refresh(TemplateCategory category, TemplateStatus status, string componentsJson, string? providerId, string? rejectionReason,
        DateTimeOffset now)
    {
        Category = category;
        Status = status;
        ComponentsJson = componentsJson;
        ProviderId = providerId ?? ProviderId;
        RejectionReason = ReasonFor(status, rejectionReason);
        SyncedAt = now;
    }

    /// <summary>A review decision from the message_template_status_update webhook.</summary>
    public void ChangeStatus(TemplateStatus status, string? reason, DateTimeOffset now)
    {
        Status = status;
        RejectionReason = ReasonFor(status, reason);
        SyncedAt = now;
    }

    public void MarkDeleted(DateTimeOffset now)
    {
        Status = TemplateStatus.Deleted;
        SyncedAt = now;
    }

    public static TemplateStatus ParseStatus(string? wire) => wire?.Trim().ToUpperInvariant() switch
    {
        "APPROVED" => TemplateStatus.Approved,
        "PENDING" or "IN_REVIEW" => TemplateStatus.Pending,
        "REJECTED" => TemplateStatus.Rejected,
        "PAUSED" => TemplateStatus.Paused,
        "DISABLED" or "FLAGGED" => TemplateStatus.Disabled,
        "IN_APPEAL" => TemplateStatus.InAppeal,
        "PENDING_DELETION" => TemplateStatus.PendingDeletion,
        "LIMIT_EXCEEDED" => TemplateStatus.LimitExceeded,
        "DELETED" => TemplateStatus.Deleted,
        "REINSTATED" => TemplateStatus.Approved,
        _ => TemplateStatus.Unknown,
    };

    public static TemplateCategory ParseCategory(string? wire) => wire?.Trim().ToUpperInvariant() switch
    {
        "MARKETING" => TemplateCategory.Marketing,
        "AUTHENTICATION" => TemplateCategory.Authentication,
        _ => TemplateCategory.Utility,
    };
}
