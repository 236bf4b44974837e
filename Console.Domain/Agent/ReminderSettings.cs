using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

/// <summary>
/// When a workspace's customers are reminded of their appointments (minutes before the start, e.g. 1440 and 120) and
/// which approved template carries the reminder when the customer window is closed. A workspace without a row uses
/// <see cref="DefaultOffsets"/> and no template.
/// </summary>
public sealed class ReminderSettings : ITenantOwned
{
    public static readonly IReadOnlyList<int> DefaultOffsets = [1440, 120];
    public const int MaxOffsets = 5;
    public const int MaxOffsetMinutes = 30 * 1440;

    private ReminderSettings() { }

    public Guid TenantId { get; private set; }
    public int[] OffsetsMinutes { get; private set; } = [.. DefaultOffsets];
    public string? TemplateName { get; private set; }
    public string? TemplateLanguage { get; private set; }

    /// <summary>Where the appointment takes place, a parameter of the template and a line of the text.</summary>
    public string? Address { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    public static ReminderSettings Create(Guid tenantId, DateTimeOffset now) => new() { TenantId = tenantId, UpdatedAt = now };

    public void Update(IReadOnlyCollection<int>? offsetsMinutes, string? templateName, string? templateLanguage, string? address, DateTimeOffset now)
    {
        var offsets = (offsetsMinutes ?? DefaultOffsets).Distinct().OrderDescending().ToArray();
        if (offsets.Length > MaxOffsets)
            throw new DomainException("reminders.too_many", $"At most {MaxOffsets} reminders per appointment.", MaxOffsets);
        if (offsets.Any(o => o is < 1 or > MaxOffsetMinutes))
            throw new DomainException("reminders.offset", "Each reminder is between 1 minute and 30 days before the appointment.");
        templateName = Clean(templateName, 512);
        templateLanguage = Clean(templateLanguage, 16);
        if (templateName is not null && templateLanguage is null)
            throw new DomainException("reminders.template_language", "Say the template's language (e.g. es_MX).");
        OffsetsMinutes = offsets;
        TemplateName = templateName;
        TemplateLanguage = templateName is null ? null : templateLanguage;
        Address = Clean(address, 300);
        UpdatedAt = now;
    }

    private static string? Clean(string? s, int max) =>
        string.IsNullOrWhiteSpace(s) ? null : s.Trim() is var t && t.Length > max ? t[..max] : s.Trim();
}

/// <summary>
/// When each reminder of an appointment goes. Whole days before keep the local wall-clock time in the workspace's zone
/// (a reminder "1 day before" a 9:00 appointment the day after a daylight-saving change is at 9:00 local, not 8:00 or
/// 10:00); shorter offsets are exact durations. Reminders already past (a booking made an hour ahead) are left out.
/// </summary>
public static class ReminderTimes
{
    public static DateTimeOffset At(DateTimeOffset start, int offsetMinutes, TimeZoneInfo zone)
    {
        if (offsetMinutes % 1440 != 0) return start.ToUniversalTime().AddMinutes(-offsetMinutes);
        var local = TimeZoneInfo.ConvertTime(start, zone).DateTime.AddDays(-offsetMinutes / 1440);
        // That wall-clock time may not exist (the hour skipped at a spring change): go at the first valid minute after it.
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(1);
        // An ambiguous time (the hour repeated in autumn) is read as its first occurrence, so the reminder is not late.
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), offset).ToUniversalTime();
    }

    public static IReadOnlyList<DateTimeOffset> Plan(DateTimeOffset start, IEnumerable<int> offsetsMinutes, TimeZoneInfo zone, DateTimeOffset now) =>
        offsetsMinutes.Select(o => At(start, o, zone)).Where(at => at > now && at < start).Distinct().Order().ToList();
}
