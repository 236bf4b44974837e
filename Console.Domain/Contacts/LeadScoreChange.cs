using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Contacts;

/// <summary>One step of a lead's score history: from, to, when and why (the chart on the lead page reads these).</summary>
public sealed class LeadScoreChange : ITenantOwned
{
    private LeadScoreChange() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid ContactId { get; private set; }
    public int FromScore { get; private set; }
    public int ToScore { get; private set; }
    public string Reason { get; private set; } = "";
    public DateTimeOffset At { get; private set; }

    internal static LeadScoreChange Record(Contact contact, int from, int to, string? reason, DateTimeOffset at) => new()
    {
        Id = Guid.CreateVersion7(at),
        TenantId = contact.TenantId,
        ContactId = contact.Id,
        FromScore = from,
        ToScore = to,
        Reason = string.IsNullOrWhiteSpace(reason) ? "" : reason.Trim().Length > 300 ? reason.Trim()[..300] : reason.Trim(),
        At = at,
    };
}

/// <summary>
/// A lead merged into another (the same person on two channels). The merged contact row is gone; this row keeps its
/// old address answering "merged into …".
/// </summary>
public sealed class ContactMerge : ITenantOwned
{
    private ContactMerge() { }

    /// <summary>The id the merged contact had.</summary>
    public Guid MergedId { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid SurvivorId { get; private set; }
    public string? MergedName { get; private set; }
    public string MergedBy { get; private set; } = "";
    public DateTimeOffset MergedAt { get; private set; }

    public static ContactMerge Record(Contact survivor, Contact merged, string by, DateTimeOffset at) => new()
    {
        MergedId = merged.Id,
        TenantId = survivor.TenantId,
        SurvivorId = survivor.Id,
        MergedName = merged.Name ?? merged.PhoneE164 ?? merged.Email,
        MergedBy = by,
        MergedAt = at,
    };
}
