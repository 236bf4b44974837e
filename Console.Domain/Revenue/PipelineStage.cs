using System.Globalization;
using System.Text;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Revenue;

public enum StageKind { Open, Won, Lost }

/// <summary>
/// One column of a tenant's lead pipeline. Tenants name, order, colour and add their own; <see cref="Key"/> marks the
/// default stages the offline agent may move a lead to by meaning (contacted, qualified, booked…), so a rename keeps
/// that working and a deleted one is simply skipped.
/// </summary>
public sealed class PipelineStage : ITenantOwned
{
    public const int MaxNameLength = 40;

    private PipelineStage() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string Name { get; private set; } = "";
    public int Position { get; private set; }
    public string Color { get; private set; } = "#9e9e9e";
    public StageKind Kind { get; private set; }
    public string? Key { get; private set; }

    public static PipelineStage Create(Guid tenantId, string name, int position, StageKind kind, string? color = null, string? key = null)
    {
        var stage = new PipelineStage { Id = Guid.NewGuid(), TenantId = tenantId, Key = key };
        stage.Update(name, position, kind, color);
        return stage;
    }

    public void Update(string name, int position, StageKind kind, string? color)
    {
        name = (name ?? "").Trim();
        if (name.Length == 0) throw new DomainException("pipeline.name_required", "Every stage needs a name.");
        if (name.Length > MaxNameLength) throw new DomainException("pipeline.name_too_long", $"'{name}' is longer than {MaxNameLength} characters.", name, MaxNameLength);
        if (color is { Length: > 0 } && !IsColor(color)) throw new DomainException("pipeline.color", $"'{color}' is not a colour like #1e88e5.", color);
        Name = name;
        Position = position;
        Kind = kind;
        if (color is { Length: > 0 }) Color = color.ToLowerInvariant();
    }

    private static bool IsColor(string value) => value.Length == 7 && value[0] == '#' && value[1..].All(Uri.IsHexDigit);

    /// <summary>How stage names are compared (the agent writes "calificado", the tenant typed "Calificado"): case and accents ignored.</summary>
    public static string Fold(string? name)
    {
        var decomposed = (name ?? "").Trim().Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var ch in decomposed)
            if (CharUnicodeInfo.GetUnicodeCategory(ch) != UnicodeCategory.NonSpacingMark) sb.Append(char.ToLowerInvariant(ch));
        return sb.ToString();
    }

    /// <summary>The default pipeline in the tenant's language (English for "en*", Spanish otherwise).</summary>
    public static IReadOnlyList<PipelineStage> Defaults(Guid tenantId, string? culture)
    {
        var en = culture?.StartsWith("en", StringComparison.OrdinalIgnoreCase) == true;
        return DefaultSet.Select((d, i) => Create(tenantId, en ? d.En : d.Es, i, d.Kind, d.Color, d.Key)).ToList();
    }

    /// <summary>Default stages: key, English and Spanish name, kind, colour (the migration seeds the same set in SQL).</summary>
    public static readonly IReadOnlyList<(string Key, string En, string Es, StageKind Kind, string Color)> DefaultSet =
    [
        ("new", "New", "Nuevo", StageKind.Open, "#90a4ae"),
        ("contacted", "Contacted", "Contactado", StageKind.Open, "#42a5f5"),
        ("qualified", "Qualified", "Calificado", StageKind.Open, "#7e57c2"),
        ("booked", "Appointment booked", "Cita agendada", StageKind.Open, "#ffa726"),
        ("won", "Won", "Ganado", StageKind.Won, "#66bb6a"),
        ("lost", "Lost", "Perdido", StageKind.Lost, "#ef5350"),
    ];
}

/// <summary>
/// One move of a lead between stages: who or what moved it and why. Keeps the stage names as they were, so renaming
/// or deleting a stage later never rewrites history.
/// </summary>
public sealed class LeadStageChange : ITenantOwned
{
    private LeadStageChange() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid ContactId { get; private set; }
    public Guid? FromStageId { get; private set; }
    public string? FromStageName { get; private set; }
    public Guid? ToStageId { get; private set; }
    public string ToStageName { get; private set; } = "";
    public string ChangedBy { get; private set; } = "";
    public Guid? ActorMemberId { get; private set; }
    public string? Reason { get; private set; }
    public DateTimeOffset ChangedAt { get; private set; }

    public static LeadStageChange Record(Guid tenantId, Guid contactId, PipelineStage? from, PipelineStage to, string changedBy,
        Guid? actorMemberId, string? reason, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        TenantId = tenantId,
        ContactId = contactId,
        FromStageId = from?.Id,
        FromStageName = from?.Name,
        ToStageId = to.Id,
        ToStageName = to.Name,
        ChangedBy = changedBy.Length > 120 ? changedBy[..120] : changedBy,
        ActorMemberId = actorMemberId,
        Reason = reason is { Length: > 500 } ? reason[..500] : reason,
        ChangedAt = now,
    };
}
